using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>
/// The <c>gateway</c> script's Azurite gets its Node options. A prefix assignment (<c>NODE_OPTIONS=… \</c>) once stood
/// apart from its command with comment lines between them: bash joined it with the comment, so it became a plain shell
/// variable, and Azurite ran with V8's default 4 GiB heap and 16 MiB young generation under every <c>./gateway up</c>.
/// The flags are now on Node's command line (V8's <c>--no-allocation-site-pretenuring</c> is refused in NODE_OPTIONS).
/// </summary>
public sealed class GatewayScriptTests
{
    private static readonly string[] Script = File.ReadAllLines(Path.Combine(RepoPaths.Root, "gateway"));

    [Fact]
    public void No_continued_line_runs_into_a_comment()
    {
        for (var i = 0; i + 1 < Script.Length; i++)
        {
            if (!Script[i].TrimEnd().EndsWith('\\') || Script[i].TrimStart().StartsWith('#')) continue;
            Assert.False(Script[i + 1].TrimStart().StartsWith('#'), $"gateway line {i + 1} continues into a comment: {Script[i].Trim()}");
        }
    }

    [Fact]
    public void Azurite_is_started_with_its_heap_and_young_generation_flags()
    {
        var start = Array.FindIndex(Script, l => l.Contains("azurite/dist/src/azurite.js\"", StringComparison.Ordinal) && l.Contains("setsid", StringComparison.Ordinal));
        Assert.True(start >= 0, "the line that starts Azurite");
        Assert.StartsWith("setsid node \"${node_flags[@]}\" ", Script[start].TrimStart(), StringComparison.Ordinal);
        var flags = Script.Single(l => l.TrimStart().StartsWith("local node_flags=(", StringComparison.Ordinal));
        Assert.Contains("--max-old-space-size=", flags, StringComparison.Ordinal);
        Assert.Contains("--max-semi-space-size=", flags, StringComparison.Ordinal);
        Assert.Contains("--no-allocation-site-pretenuring", flags, StringComparison.Ordinal);
    }
}
