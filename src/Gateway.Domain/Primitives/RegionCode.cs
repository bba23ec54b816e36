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

    /// <summary>Both regions in one province: the first two digits of the codes are equal (350200 Xiamen, 350100 Fuzhou).</summary>
    public bool SameProvinceAs(RegionCode other) =>
        Value is not null && other.Value is not null && Value[0] == other.Value[0] && Value[1] == other.Value[1];

    public override string ToString() => Value ?? "";
}
