using System.Security.Cryptography;
using System.Text;

namespace Gateway.Deploy.Tests;

/// <summary>
/// The output of infra/publish.sh (the layout the Functions host reads, and its zip), made once per source
/// state: the publish is cached under artifacts/deploy-tests/ by a hash of everything that goes into it.
/// </summary>
public sealed class PublishedSite
{
    public PublishedSite()
    {
        // Under this checkout's artifacts/ (ignored by git), so worktrees never share or delete each other's output.
        var cache = Path.Combine(RepoPaths.Root, "artifacts", "deploy-tests");
        var dir = Path.Combine(cache, SourceHash());
        Directory.CreateDirectory(dir);
        // Older source states are of no further use (about 150 MB each).
        foreach (var old in Directory.EnumerateDirectories(cache).Where(d => d != dir))
        {
            try { Directory.Delete(old, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        ZipPath = Path.Combine(dir, "gateway-test.zip");
        SiteDirectory = Path.Combine(dir, "site");
        // One publisher at a time per source state (another test run may be publishing the same hash).
        using var gate = AcquireLock(Path.Combine(dir, ".lock"));
        if (!File.Exists(ZipPath))
        {
            var r = ProcessRunner.Run("bash", [Path.Combine(RepoPaths.Infra, "publish.sh"), "--out", dir, "--version", "test"], RepoPaths.Root, TimeSpan.FromMinutes(8));
            if (r.ExitCode != 0) throw new InvalidOperationException($"infra/publish.sh failed ({r.ExitCode}):\n{r.StdErr}\n{r.StdOut}");
            Directory.Delete(Path.Combine(dir, ".build"), recursive: true);
        }
    }

    public string SiteDirectory { get; }

    public string ZipPath { get; }

    private static FileStream AcquireLock(string path)
    {
        for (var i = 0; ; i++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (i < 600) { Thread.Sleep(1000); }
        }
    }

    private static string SourceHash()
    {
        string[] roots = ["src", "functions", "data", "packs", "host.json", "infra/publish.sh", "Directory.Build.props", "Directory.Packages.props"];
        var files = new List<string>();
        foreach (var r in roots)
        {
            var full = Path.Combine(RepoPaths.Root, r);
            if (File.Exists(full)) files.Add(full);
            else if (Directory.Exists(full))
                files.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                    .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")));
        }
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in files.Order(StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(RepoPaths.Root, f) + "\n"));
            sha.AppendData(File.ReadAllBytes(f));
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
