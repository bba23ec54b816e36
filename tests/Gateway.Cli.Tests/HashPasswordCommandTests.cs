using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Cli.Tests;

/// <summary><c>./gateway hash-password</c>: what an operator puts in ClearingUsers__{name} (docs/deploy.md, step 3).</summary>
public sealed class HashPasswordCommandTests
{
    private static (int Exit, string Stdout, string Stderr) Run(string stdin, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gateway-cli.dll"));
        info.ArgumentList.Add("hash-password");
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000));
        return (p.ExitCode, stdout.Result.Trim(), stderr.Result);
    }

    [Fact]
    public void It_prints_a_salted_pbkdf2_sha256_hash_of_the_password_on_stdin()
    {
        var (exit, hash, _) = Run("closer-demo\n");
        Assert.Equal(0, exit);
        var parts = hash.Split('$');
        Assert.Equal(4, parts.Length);
        Assert.Equal("pbkdf2-sha256", parts[0]);
        var iterations = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(iterations >= 100_000);
        var salt = Convert.FromBase64String(parts[2]);
        Assert.Equal(16, salt.Length);
        // Checked with the framework's PBKDF2 directly, not with the gateway's own code.
        Assert.Equal(Convert.FromBase64String(parts[3]), Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes("closer-demo"), salt, iterations, HashAlgorithmName.SHA256, 32));
        Assert.DoesNotContain(':', hash); // it fits "<hash>:<role>[:<region>]"
        Assert.NotEqual(hash, Run("closer-demo\n").Stdout); // a new salt each time
    }

    [Fact]
    public void Too_few_iterations_or_no_password_is_refused()
    {
        Assert.Equal(2, Run("x\n", "--iterations", "1000").Exit);
        Assert.Equal(2, Run("").Exit);
    }
}
