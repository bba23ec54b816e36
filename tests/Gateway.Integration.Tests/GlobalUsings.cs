global using Gateway.Domain;
