using System.CommandLine;
using Gateway.Cli.DeadLetters;
using Gateway.Cli.Evaluate;
using Gateway.Cli.HashPassword;
using Gateway.Cli.Import;
using Gateway.Cli.Load;
using Gateway.Cli.Simulate;
using Gateway.Cli.Verify;

// gateway-cli: the verbs ./gateway passes through (evaluate, verify, ...). One file per verb.
var root = new RootCommand("Gateway command line: policy what-if, store verification.")
{
    EvaluateCommand.Create(),
    VerifyCommand.Create(),
    ImportCommand.Create(),
    LoadCommand.Create(),
    DeadLettersCommand.Create(),
    HashPasswordCommand.Create(),
    SimulateCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
