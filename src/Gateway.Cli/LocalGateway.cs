namespace Gateway.Cli;

/// <summary>What <c>./gateway up</c> leaves for the other verbs: the storage connection of the running gateway.</summary>
public static class LocalGateway
{
    public const string ConnectionFile = ".tools/run/connection";

    /// <summary>The running gateway's storage connection, or null when <c>./gateway up</c> has not written one.</summary>
    public static string? StorageConnection() => File.Exists(ConnectionFile) ? File.ReadAllText(ConnectionFile).Trim() : null;
}
