global using Gateway.Domain;
global using Gateway.Handler.Problems;
