namespace Gateway.Domain;

/// <summary>Hospital level: 1 = township / community, 2, 3 (higher level, higher deductible, lower ratio).</summary>
public enum HospitalLevel { Level1 = 1, Level2 = 2, Level3 = 3 }

/// <summary>职工 (employee) or 居民 (resident) basic medical insurance.</summary>
public enum InsuranceType { Employee, Resident }

/// <summary>Medical-assistance (医疗救助) category of a member.</summary>
public enum AssistanceCategory { None, Destitute, MinimumLiving, PovertyRegistered, LowIncome }

/// <summary>住院 inpatient or 门诊慢特病 special-disease outpatient.</summary>
public enum EncounterType { Inpatient, SpecialOutpatient }

public enum ReferralType { Upward, Downward }

public enum MemberStatus { Active, Suspended }

/// <summary>Catalog class: A 甲 fully in scope, B 乙 with a pre-self-pay ratio, C 丙 not covered.</summary>
public enum CatalogClass { A, B, C }

public enum ItemCategory { Drug, Service, Material }

/// <summary>Stable wire names (camelCase) for the enums, shared by every JSON surface.</summary>
public static class DomainNames
{
    public static string Of(InsuranceType t) => t == InsuranceType.Employee ? "employee" : "resident";
    public static string Of(EncounterType t) => t == EncounterType.Inpatient ? "inpatient" : "specialOutpatient";
    public static string Of(ReferralType t) => t == ReferralType.Upward ? "upward" : "downward";
    public static string Of(MemberStatus t) => t == MemberStatus.Active ? "active" : "suspended";
    public static string Of(AssistanceCategory c) => c switch
    {
        AssistanceCategory.None => "none",
        AssistanceCategory.Destitute => "destitute",
        AssistanceCategory.MinimumLiving => "minimumLiving",
        AssistanceCategory.PovertyRegistered => "povertyRegistered",
        AssistanceCategory.LowIncome => "lowIncome",
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    public static bool TryParseInsuranceType(string? s, out InsuranceType t) => TryParse(s, out t, ("employee", InsuranceType.Employee), ("resident", InsuranceType.Resident));
    public static bool TryParseEncounterType(string? s, out EncounterType t) => TryParse(s, out t, ("inpatient", EncounterType.Inpatient), ("specialOutpatient", EncounterType.SpecialOutpatient));
    public static bool TryParseReferralType(string? s, out ReferralType t) => TryParse(s, out t, ("upward", ReferralType.Upward), ("downward", ReferralType.Downward));
    public static bool TryParseMemberStatus(string? s, out MemberStatus t) => TryParse(s, out t, ("active", MemberStatus.Active), ("suspended", MemberStatus.Suspended));
    public static bool TryParseCatalogClass(string? s, out CatalogClass t) => TryParse(s, out t, ("A", CatalogClass.A), ("B", CatalogClass.B), ("C", CatalogClass.C));
    public static bool TryParseAssistanceCategory(string? s, out AssistanceCategory t) => TryParse(s, out t,
        ("none", AssistanceCategory.None), ("destitute", AssistanceCategory.Destitute), ("minimumLiving", AssistanceCategory.MinimumLiving),
        ("povertyRegistered", AssistanceCategory.PovertyRegistered), ("lowIncome", AssistanceCategory.LowIncome));

    private static bool TryParse<T>(string? s, out T value, params (string Name, T Value)[] names)
    {
        foreach (var (name, v) in names)
        {
            if (string.Equals(s, name, StringComparison.Ordinal)) { value = v; return true; }
        }
        value = default!;
        return false;
    }
}
