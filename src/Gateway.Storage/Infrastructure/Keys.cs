using System.Text.RegularExpressions;

namespace Gateway.Storage;

/// <summary>Key rules shared by every table: identifiers are validated at the edge, so keys never need escaping.</summary>
public static partial class Keys
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();

    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>The gateway's settlement id: the hospital code and the hospital's own id.</summary>
    public static string SettlementKey(string hospitalCode, string hospitalSettlementId) => $"{hospitalCode}~{hospitalSettlementId}";

    public static bool TrySplitSettlementKey(string key, out string hospitalCode, out string hospitalSettlementId)
    {
        var i = key.IndexOf('~');
        hospitalCode = i > 0 ? key[..i] : "";
        hospitalSettlementId = i > 0 ? key[(i + 1)..] : "";
        return i > 0 && IsValidId(hospitalCode) && IsValidId(hospitalSettlementId);
    }
}
