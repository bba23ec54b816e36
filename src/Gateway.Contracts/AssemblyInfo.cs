namespace Gateway.Contracts;
