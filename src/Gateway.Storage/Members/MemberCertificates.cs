using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Gateway.Domain;

namespace Gateway.Storage;

/// <summary>What the registry keeps of a member's certificate and name: never in clear, only masked and as a keyed hash.</summary>
public sealed record MemberCertificate(string MemberId, string CertType, string CertNoMasked, string? NameMasked, string? Gender);

/// <summary>
/// The member registry's certificate index (人员证件, for the national interface's 1101): a row of its own partition
/// <c>{region}|cert|{HMAC-SHA256(region secret, certificate number)}</c> in table Members, naming the member. The
/// certificate number and the name are never stored or logged in clear: the hash finds the member, the masked forms are
/// what a lookup answers. The secret is per home region (setting <c>RegistryCertificateKey{region}</c>; a demo key in demo mode).
/// </summary>
public sealed class MemberCertificates(GatewayStorage storage, Func<RegionCode, byte[]?> keyFor)
{
    public const string Row = "member";
    private readonly TableClient _table = storage.Table(GatewayStorage.MembersTable);

    /// <summary>A fixed key per region for demo and tests (never for production: the secret must not be derivable).</summary>
    public static byte[] DemoKey(RegionCode region) => SHA256.HashData(Encoding.UTF8.GetBytes("gateway-demo-registry-certificate-key|" + region.Value));

    public bool CanHash(RegionCode region) => keyFor(region) is not null;

    public string? Partition(RegionCode region, string certNo)
    {
        var key = keyFor(region);
        if (key is null) return null;
        var hash = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(certNo.Trim().ToUpperInvariant()));
        return $"{region.Value}|cert|{Convert.ToHexStringLower(hash)}";
    }

    public static string Mask(string value) =>
        value.Length > 8 ? value[..3] + new string('*', value.Length - 7) + value[^4..] : new string('*', Math.Max(0, value.Length - 2)) + value[Math.Max(0, value.Length - 2)..];

    /// <summary>A name masked as the national platform does: the first character kept.</summary>
    public static string MaskName(string name) => name.Length <= 1 ? "*" : name[..1] + new string('*', name.Length - 1);

    public async Task UpsertAsync(RegionCode region, string memberId, string certType, string certNo, string? name, string? gender, CancellationToken ct)
    {
        var partition = Partition(region, certNo) ?? throw new InvalidOperationException($"No certificate key for region {region}.");
        var e = new TableEntity(partition, Row)
        {
            ["MemberId"] = memberId,
            ["CertType"] = certType,
            ["CertNoMasked"] = Mask(certNo.Trim()),
        };
        if (name is not null) e["NameMasked"] = MaskName(name.Trim());
        if (gender is not null) e["Gender"] = gender;
        await _table.UpsertEntityAsync(e, TableUpdateMode.Replace, ct).ConfigureAwait(false);
    }

    public async Task<MemberCertificate?> FindAsync(RegionCode region, string certNo, CancellationToken ct)
    {
        var partition = Partition(region, certNo);
        if (partition is null) return null;
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(partition, Row, cancellationToken: ct).ConfigureAwait(false);
        if (!r.HasValue) return null;
        var e = r.Value!;
        return new MemberCertificate(e.GetString("MemberId"), e.GetString("CertType"), e.GetString("CertNoMasked"), e.GetString("NameMasked"), e.GetString("Gender"));
    }
}
