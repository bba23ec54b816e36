namespace Gateway.Domain;

/// <summary>A six-digit administrative division code of a pooling region (统筹区), e.g. 511300 Nanchong.</summary>
public readonly record struct RegionCode
{
    public string Value { get; }

    private RegionCode(string value) => Value = value;

    public static RegionCode Parse(string value) =>
        TryParse(value, out var code) ? code : throw new FormatException($"'{value}' is not a six-digit region code.");

    public static bool TryParse(string? value, out RegionCode code)
    {
        code = default;
        if (value is null || value.Length != 6) return false;
        foreach (var c in value) if (c is < '0' or > '9') return false;
        code = new RegionCode(value);
        return true;
    }

    public override string ToString() => Value ?? "";
}
