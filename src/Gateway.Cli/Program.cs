Console.WriteLine("gateway-cli");
