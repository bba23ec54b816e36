using System.Reflection;

namespace Gateway.Deploy.Tests;

/// <summary>Where the repository and the Bicep compiler (NuGet package Azure.Bicep.CommandLine.linux-x64) are, as the build recorded them.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = Metadata("RepoRoot");

    // The package's props join with a backslash; on Linux the path needs forward slashes.
    public static string Bicep { get; } = Metadata("BicepPath").Replace('\\', '/');

    public static string Infra => Path.Combine(Root, "infra");

    private static string Metadata(string key) =>
        typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"The build did not record {key}.");
}
