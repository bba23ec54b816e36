using System.CommandLine;
using System.Text;
using Gateway.Handler.Clearing;

namespace Gateway.Cli.HashPassword;

/// <summary>
/// <c>gateway hash-password [--iterations N]</c>: reads a password (prompted without echo on a terminal, else the first
/// line of stdin) and prints its salted hash <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;hash&gt;</c>, the form
/// <c>ClearingUsers__{name}</c> = <c>{hash}:{role}[:{region}]</c> takes (docs/deploy.md, step 3).
/// </summary>
public static class HashPasswordCommand
{
    public static Command Create()
    {
        var iterations = new Option<int>("--iterations") { Description = $"PBKDF2-SHA256 iterations (at least {PasswordHash.MinIterations}).", DefaultValueFactory = _ => PasswordHash.DefaultIterations };
        var command = new Command("hash-password", "Print the salted PBKDF2 hash of a clearing user's password (read from the terminal or stdin).") { iterations };
        command.SetAction(parse =>
        {
            var n = parse.GetValue(iterations);
            if (n is < PasswordHash.MinIterations or > PasswordHash.MaxIterations)
            {
                Console.Error.WriteLine($"--iterations: {PasswordHash.MinIterations} to {PasswordHash.MaxIterations}.");
                return 2;
            }
            var password = Console.IsInputRedirected ? Console.In.ReadLine() ?? "" : Prompt();
            if (password.Length == 0)
            {
                Console.Error.WriteLine("No password given.");
                return 2;
            }
            Console.WriteLine(PasswordHash.Create(password, n));
            return 0;
        });
        return command;
    }

    private static string Prompt()
    {
        Console.Error.Write("Password: ");
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
            else if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }
}
