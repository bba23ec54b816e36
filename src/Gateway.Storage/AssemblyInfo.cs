namespace Gateway.Storage;
