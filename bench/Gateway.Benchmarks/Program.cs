using Gateway.Benchmarks;

// `close-cost CONNECTION` measures period close's storage operations against a store; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "close-cost") return await CloseCost.RunAsync(args[1]);
// `azurite-growth CONNECTION [--rows N] [--step N] [--payload CHARS] [--location DIR]` measures Azurite's table store as it grows (issue 21).
if (args.Length > 1 && args[0] == "azurite-growth") return await AzuriteGrowth.RunAsync(args[1..]);
BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
