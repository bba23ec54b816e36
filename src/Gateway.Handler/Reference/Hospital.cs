using Gateway.Contracts;
using Gateway.Domain;
using Newtonsoft.Json;

namespace Gateway.Handler.Reference;

/// <summary>A hospital known to the gateway: its region and level come from here, never from a request body.</summary>
public sealed record Hospital(string Code, string Name, RegionCode Region, HospitalLevel Level, string KeyId)
{
    /// <summary>The hosts (<c>host</c> or <c>host:port</c>) its callbacks may go to: data/hospitals.json <c>callbackHosts</c>, plus the setting <c>CallbackHosts__{code}</c> (comma-separated).</summary>
    public IReadOnlyList<string> CallbackHosts { get; init; } = [];
}

/// <summary>Hospitals (data/hospitals.json) and their HMAC secrets (the key is the UTF-8 bytes of the secret string) (setting <c>HospitalKeys__{keyId}</c>; demo keys from data/demo/keys.json).</summary>
public sealed class HospitalRegistry
{
    private readonly Dictionary<string, Hospital> _byCode;
    private readonly Dictionary<string, Hospital> _byKey;
    private readonly Dictionary<string, byte[]> _secrets;

    private sealed record HospitalJson(string Code, string Name, string Region, int Level, string KeyId, List<string>? CallbackHosts);

    public HospitalRegistry(IEnumerable<Hospital> hospitals, IReadOnlyDictionary<string, string> secrets)
    {
        var list = hospitals.ToList();
        _byCode = list.ToDictionary(h => h.Code, StringComparer.Ordinal);
        _byKey = list.ToDictionary(h => h.KeyId, StringComparer.Ordinal);
        _secrets = secrets.ToDictionary(s => s.Key, s => System.Text.Encoding.UTF8.GetBytes(s.Value), StringComparer.Ordinal);
    }

    public IEnumerable<Hospital> All => _byCode.Values;

    public Hospital? ByCode(string code) => _byCode.GetValueOrDefault(code);

    public Hospital? ByKeyId(string keyId) => _byKey.GetValueOrDefault(keyId);

    public byte[]? Secret(string keyId) => _secrets.GetValueOrDefault(keyId);

    public static HospitalRegistry Load(string dataDirectory, IConfiguration configuration, bool demo)
    {
        var json = GatewayJson.Deserialize<List<HospitalJson>>(File.ReadAllText(Path.Combine(dataDirectory, "hospitals.json")));
        var hosts = configuration.GetSection("CallbackHosts").GetChildren().ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        var hospitals = json.Select(h => new Hospital(h.Code, h.Name, RegionCode.Parse(h.Region),
            Enum.IsDefined((HospitalLevel)h.Level) ? (HospitalLevel)h.Level : throw new InvalidDataException($"hospitals.json: hospital {h.Code} has level {h.Level} (1, 2 or 3)."), h.KeyId)
        {
            CallbackHosts = (h.CallbackHosts ?? []).Concat((hosts.GetValueOrDefault(h.Code) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Select(x => x.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList(),
        }).ToList();
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        if (demo)
        {
            var demoKeys = GatewayJson.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(dataDirectory, "demo", "keys.json")));
            foreach (var (k, v) in demoKeys) secrets[k] = v;
        }
        foreach (var child in configuration.GetSection("HospitalKeys").GetChildren())
        {
            if (!string.IsNullOrEmpty(child.Value)) secrets[child.Key] = child.Value;
        }
        return new HospitalRegistry(hospitals, secrets);
    }
}
