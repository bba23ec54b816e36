using System.Globalization;
using Azure.Data.Tables;
using Gateway.Domain;
using Newtonsoft.Json;

namespace Gateway.Storage;

/// <summary>
/// Table Members, one partition per member (<c>{homeRegion}|{memberId}</c>) holding the profile row, one
/// accumulator row per year and one "applied" marker per settlement: everything a settlement changes commits
/// in one entity-group transaction.
/// </summary>
public static class MemberRows
{
    public const string ProfileRow = "profile";

    public static string Partition(RegionCode region, string memberId) => $"{region}|{memberId}";

    public static string YearRow(int year) => $"year-{year}";

    public static string AppliedRow(string settlementKey) => $"applied-{settlementKey}";

    /// <summary>An online filing (秒备案) the home region decided on: the filing itself when filed, and the reply either way.</summary>
    public static string FilingRow(string filingKey) => $"{FilingPrefix}{filingKey}";

    public const string FilingPrefix = "filing-";
    /// <summary>The RowKey just after every filing row ('.' follows '-').</summary>
    public const string FilingPrefixEnd = "filing.";

    private static string M(decimal d) => d.ToString("0.00", CultureInfo.InvariantCulture);

    private static decimal M(TableEntity e, string name) => decimal.Parse(e.GetString(name) ?? "0", CultureInfo.InvariantCulture);

    private static readonly JsonSerializerSettings Json = new() { DateParseHandling = DateParseHandling.None };

    private sealed record DiseaseJson(string Code, string From, string? To);

    private sealed record FilingJson(string Region, string From, string? To);

    public static TableEntity ToEntity(MemberProfile m) => new(Partition(m.HomeRegion, m.MemberId), ProfileRow)
    {
        ["InsuranceType"] = DomainNames.Of(m.InsuranceType),
        ["Retired"] = m.Retired,
        ["BirthDate"] = m.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["ContinuousYears"] = m.ContinuousYears,
        ["AssistanceCategory"] = DomainNames.Of(m.AssistanceCategory),
        ["MajorIllnessEnrolled"] = m.MajorIllnessEnrolled,
        ["SpecialDiseases"] = JsonConvert.SerializeObject(m.SpecialDiseases.Select(d => new DiseaseJson(d.DiseaseCode, D(d.ValidFrom), D(d.ValidTo))), Json),
        ["Filings"] = JsonConvert.SerializeObject(m.Filings.Select(f => new FilingJson(f.TreatmentRegion.Value, D(f.ValidFrom), D(f.ValidTo))), Json),
        ["AccountBalance"] = M(m.AccountBalance),
        ["Status"] = DomainNames.Of(m.Status),
    };

    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string? D(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly P(string s) => DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static MemberProfile FromEntity(TableEntity e)
    {
        var sep = e.PartitionKey.IndexOf('|');
        DomainNames.TryParseInsuranceType(e.GetString("InsuranceType"), out var type);
        DomainNames.TryParseAssistanceCategory(e.GetString("AssistanceCategory"), out var assistance);
        DomainNames.TryParseMemberStatus(e.GetString("Status"), out var status);
        var diseases = JsonConvert.DeserializeObject<List<DiseaseJson>>(e.GetString("SpecialDiseases") ?? "[]", Json)!
            .Select(d => new SpecialDiseaseRegistration(d.Code, P(d.From), d.To is null ? null : P(d.To))).ToList();
        var filings = JsonConvert.DeserializeObject<List<FilingJson>>(e.GetString("Filings") ?? "[]", Json)!
            .Select(f => new Filing(RegionCode.Parse(f.Region), P(f.From), f.To is null ? null : P(f.To))).ToList();
        return new MemberProfile(e.PartitionKey[(sep + 1)..], RegionCode.Parse(e.PartitionKey[..sep]), type, e.GetBoolean("Retired") ?? false,
            P(e.GetString("BirthDate")), e.GetInt32("ContinuousYears") ?? 0, assistance, e.GetBoolean("MajorIllnessEnrolled") ?? false,
            diseases, filings, M(e, "AccountBalance"), status);
    }

    public static TableEntity ToEntity(string partition, AnnualAccumulators a)
    {
        var e = new TableEntity(partition, YearRow(a.Year))
        {
            ["Admissions"] = a.Admissions,
            ["BasicPaid"] = M(a.BasicPaid),
            ["SupplementaryPaid"] = M(a.SupplementaryPaid),
            ["MajorQualifying"] = M(a.MajorQualifying),
            ["MajorPaid"] = M(a.MajorPaid),
            ["AssistanceQualifying"] = M(a.AssistanceQualifying),
            ["AssistancePaid"] = M(a.AssistancePaid),
            ["FundsPaid"] = M(a.FundsPaid),
            ["SpecialDeductiblePaid"] = JsonConvert.SerializeObject(a.SpecialDeductiblePaid.ToDictionary(k => k.Key, k => M(k.Value)), Json),
        };
        return e;
    }

    public static AnnualAccumulators AccumulatorsFromEntity(TableEntity e)
    {
        var diseases = JsonConvert.DeserializeObject<Dictionary<string, string>>(e.GetString("SpecialDeductiblePaid") ?? "{}", Json)!
            .ToDictionary(k => k.Key, k => decimal.Parse(k.Value, CultureInfo.InvariantCulture));
        return new AnnualAccumulators(int.Parse(e.RowKey["year-".Length..], CultureInfo.InvariantCulture), e.GetInt32("Admissions") ?? 0,
            M(e, "BasicPaid"), M(e, "SupplementaryPaid"), M(e, "MajorQualifying"), M(e, "MajorPaid"), M(e, "AssistanceQualifying"),
            M(e, "AssistancePaid"), M(e, "FundsPaid"), diseases);
    }
}
