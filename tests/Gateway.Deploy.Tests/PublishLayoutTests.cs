using System.IO.Compression;
using Newtonsoft.Json.Linq;

namespace Gateway.Deploy.Tests;

/// <summary>What `./gateway publish` hands to the Functions host: host.json, one folder per function, the handler where host.json says.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PublishLayoutTests(PublishedSite site) : IClassFixture<PublishedSite>
{
    private static readonly HashSet<string> KnownMethods = ["get", "post", "put", "delete", "patch", "head", "options"];

    private JObject HostJson => JObject.Parse(File.ReadAllText(Path.Combine(site.SiteDirectory, "host.json")));

    private string ExecutablePath => (string)HostJson["customHandler"]!["description"]!["defaultExecutablePath"]!;

    [Fact]
    public void The_published_host_json_is_the_repository_one_and_names_a_custom_handler()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")), File.ReadAllText(Path.Combine(site.SiteDirectory, "host.json")));
        Assert.Equal("2.0", (string?)HostJson["version"]);
        Assert.False(string.IsNullOrWhiteSpace(ExecutablePath));
        Assert.False(Path.IsPathRooted(ExecutablePath), "defaultExecutablePath must be relative to the site root");
    }

    [Fact]
    public void Every_function_folder_of_the_repository_is_published_and_nothing_else()
    {
        var repo = FunctionDefinition.InRepository().Select(f => f.Name);
        var published = FunctionDefinition.LoadAll(site.SiteDirectory).Select(f => f.Name);
        Assert.NotEmpty(repo);
        Assert.Equal(repo, published);
        foreach (var name in repo)
            Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", name, "function.json")), File.ReadAllText(Path.Combine(site.SiteDirectory, name, "function.json")));
    }

    [Fact]
    public void The_handler_named_by_host_json_exists_is_an_executable_linux_program_and_has_its_data_beside_it()
    {
        var exe = Path.Combine(site.SiteDirectory, ExecutablePath);
        Assert.True(File.Exists(exe), $"{ExecutablePath} is not in the publish output");
        Assert.True(File.GetUnixFileMode(exe).HasFlag(UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute), "the handler is not executable");
        var magic = File.ReadAllBytes(exe).AsSpan(0, 4).ToArray();
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, magic);
        var handlerDir = Path.GetDirectoryName(exe)!;
        // Self-contained: the Functions Linux image has no .NET 10 runtime to lend.
        Assert.True(File.Exists(Path.Combine(handlerDir, "libcoreclr.so")), "the handler is not self-contained (libcoreclr.so missing)");
        Assert.True(File.Exists(Path.Combine(handlerDir, "data", "hospitals.json")), "data/ is not beside the handler (GATEWAY_DATA_DIR defaults to it)");
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(handlerDir, "data", "catalogs"), "*.json"));
        var workingDirectory = (string?)HostJson["customHandler"]!["description"]!["workingDirectory"];
        if (!string.IsNullOrEmpty(workingDirectory)) Assert.True(Directory.Exists(Path.Combine(site.SiteDirectory, workingDirectory)));
    }

    [Fact]
    public void The_zip_holds_the_same_layout_and_keeps_the_handler_executable()
    {
        using var zip = ZipFile.OpenRead(site.ZipPath);
        var entries = zip.Entries.ToDictionary(e => e.FullName, StringComparer.Ordinal);
        Assert.Contains("host.json", entries.Keys);
        foreach (var f in FunctionDefinition.InRepository()) Assert.Contains($"{f.Name}/function.json", entries.Keys);
        var exe = entries[ExecutablePath.Replace('\\', '/')];
        // Run-from-package mounts the zip as is: the Unix mode in the entry is what the host will exec.
        var mode = (exe.ExternalAttributes >> 16) & 0x1FF;
        Assert.True((mode & 0x49) == 0x49, $"the handler's mode in the zip is {Convert.ToString(mode, 8)}, not executable");
        var onDisk = Directory.EnumerateFiles(site.SiteDirectory, "*", SearchOption.AllDirectories).Count();
        Assert.Equal(onDisk, zip.Entries.Count);
    }

    [Fact]
    public void Every_function_json_is_valid_for_the_functions_host()
    {
        var functions = FunctionDefinition.LoadAll(site.SiteDirectory);
        Assert.NotEmpty(functions);
        var problems = new List<string>();
        foreach (var f in functions)
        {
            var triggers = f.Bindings.Count(b => ((string?)b["type"] ?? "").EndsWith("Trigger", StringComparison.Ordinal));
            if (triggers != 1) problems.Add($"{f.Name}: {triggers} triggers (exactly one expected)");
            var names = f.Bindings.Select(b => (string?)b["name"]).ToList();
            if (names.Any(string.IsNullOrWhiteSpace)) problems.Add($"{f.Name}: a binding has no name");
            if (names.Distinct(StringComparer.OrdinalIgnoreCase).Count() != names.Count) problems.Add($"{f.Name}: binding names repeat");
            foreach (var b in f.Bindings) problems.AddRange(BindingProblems(b).Select(p => $"{f.Name}/{(string?)b["name"]}: {p}"));
            var hasHttpTrigger = f.Bindings.Any(b => (string?)b["type"] == "httpTrigger");
            var hasHttpOut = f.Bindings.Any(b => (string?)b["type"] == "http");
            if (hasHttpTrigger != hasHttpOut) problems.Add($"{f.Name}: an httpTrigger needs exactly one http output and vice versa");
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void No_two_http_functions_claim_the_same_route_and_method()
    {
        var claims = FunctionDefinition.LoadAll(site.SiteDirectory)
            .SelectMany(f => f.Bindings.Where(b => (string?)b["type"] == "httpTrigger")
                .SelectMany(b => (b["methods"]?.Values<string>() ?? []).Select(m => $"{m!.ToLowerInvariant()} {((string?)b["route"] ?? f.Name).ToLowerInvariant()}")))
            .ToList();
        Assert.Equal(claims.Count, claims.Distinct().Count());
    }

    private static IEnumerable<string> BindingProblems(JObject b)
    {
        var type = (string?)b["type"];
        var direction = (string?)b["direction"];
        string? Need(string property) => string.IsNullOrWhiteSpace((string?)b[property]) ? $"{type} needs \"{property}\"" : null;
        IEnumerable<string?> checks = type switch
        {
            "httpTrigger" =>
            [
                direction == "in" ? null : "httpTrigger must be direction in",
                (string?)b["authLevel"] is "anonymous" or "function" or "admin" ? null : $"authLevel {(string?)b["authLevel"]} is not anonymous/function/admin",
                b["methods"] is JArray { Count: > 0 } m && m.Values<string>().All(x => KnownMethods.Contains(x!.ToLowerInvariant())) ? null : "methods must be a non-empty list of HTTP methods",
                ((string?)b["route"])?.StartsWith('/') == true ? "route must not start with /" : null,
            ],
            "http" => [direction == "out" ? null : "http must be direction out"],
            "serviceBusTrigger" =>
            [
                direction == "in" ? null : "serviceBusTrigger must be direction in",
                Need("queueName"), Need("connection"),
            ],
            "serviceBus" => [direction == "out" ? null : "serviceBus output must be direction out", Need("queueName"), Need("connection")],
            "timerTrigger" =>
            [
                direction == "in" ? null : "timerTrigger must be direction in",
                Need("schedule"),
                ((string?)b["schedule"])?.StartsWith('%') == true || ((string?)b["schedule"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6
                    ? null : "schedule must be a six-field CRON or a %setting%",
            ],
            _ => [$"binding type {type} is not one this app's hosts know (httpTrigger, http, serviceBusTrigger, serviceBus, timerTrigger)"],
        };
        return checks.OfType<string>();
    }
}
