using FsCheck;
using FsCheck.Fluent;

namespace Gateway.Domain.Tests;

/// <summary>A settlement input the engine accepts: any seed pack, member, accumulators and bill.</summary>
public sealed record SettlementCase(Encounter Encounter, MemberProfile Member, AnnualAccumulators Before, Catalog Catalog)
{
    public override string ToString() =>
        $"{Member.HomeRegion} {Member.InsuranceType} retired={Member.Retired} age={Member.AgeOn(Encounter.AdmissionDate)} {Member.AssistanceCategory} " +
        $"L{(int)Encounter.HospitalLevel} {Encounter.EncounterType} dx={Encounter.PrimaryDiagnosis} lines={Encounter.Lines.Count} acc={Before}";
}

public static class SettlementGenerators
{
    private static readonly string[] Homes = ["440300", "441900", "511300", "350200"];
    // ZJ0003 and ZJ0007 are outside the catalog and on Shenzhen's out-of-catalog list (§9.1).
    private static readonly string[] Items = ["D001", "D002", "S001", "M001", "S002", "X001", "D999", "D003", "D004", "S003", "ZJ0003", "ZJ0007"];
    // E11 has no rule of its own; M01600 is on Nanchong's burden-ceiling list (§9.3).
    private static readonly string[] SpecialDiseases = ["E11", "M01600"];
    // Fuzhou treats patients but is no seed home region: inside Xiamen's province (§9.4).
    private const string Fuzhou = "350100";
    private static readonly string[] Diagnoses = ["I21.9", "C34.9", "Q21.0", "C92.0", "F20.0", "E11.9", "N18.5", "J18.9"];

    private static Gen<decimal> Money(int maxYuan) =>
        from yuan in Gen.Choose(0, maxYuan)
        from cents in Gen.Choose(0, 99)
        select yuan + cents / 100m;

    private static Gen<EncounterLine> Line(int lineNo) =>
        from item in Gen.Elements(Items)
        from qty in Gen.Choose(1, 400)
        from price in Money(3000)
        select new EncounterLine(lineNo, item, null, qty, price, global::Gateway.Domain.Money.Round(qty * price));

    public static Gen<SettlementCase> Cases { get; } =
        from home in Gen.Elements(Homes)
        from treatmentIndex in Gen.Choose(0, 3)
        from employee in Gen.Elements(true, false)
        from retired in Gen.Elements(true, false)
        from age in Gen.Choose(0, 95)
        from years in Gen.Choose(0, 40)
        from assistance in Gen.Elements(Enum.GetValues<AssistanceCategory>())
        from enrolled in Gen.Elements(true, false)
        from filed in Gen.Elements(true, false)
        from emergency in Gen.Elements(true, false)
        from balance in Money(5000)
        from level in Gen.Choose(1, 3)
        from special in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from disease in Gen.Elements(SpecialDiseases)
        from useAccount in Gen.Elements(true, false)
        from referral in Gen.Choose(0, 3)
        from referringPaid in Money(900)
        from dx in Gen.Elements(Diagnoses)
        from lineCount in Gen.Choose(1, 25)
        from lines in Gen.CollectToList(Enumerable.Range(1, lineCount), Line)
        from admissions in Gen.Choose(0, 5)
        from basicPaid in Money(700_000)
        from supplementaryPaid in Money(1_100_000)
        from majorQualifying in Money(300_000)
        from majorPaid in Money(450_000)
        from assistanceQualifying in Money(150_000)
        from assistancePaid in Money(120_000)
        from fundsPaid in Money(1_300_000)
        from specialPaid in Money(500)
        select Build(home, treatmentIndex, employee, retired, age, years, assistance, enrolled, filed, emergency, balance, level, special ? disease : null,
            useAccount, referral, referringPaid, dx, lines.ToList(), admissions, basicPaid, supplementaryPaid, majorQualifying, majorPaid,
            assistanceQualifying, assistancePaid, fundsPaid, specialPaid);

    private static SettlementCase Build(string home, int treatmentIndex, bool employee, bool retired, int age, int years, AssistanceCategory assistance,
        bool enrolled, bool filed, bool emergency, decimal balance, int level, string? specialDisease, bool useAccount, int referral, decimal referringPaid,
        string dx, List<EncounterLine> lines, int admissions, decimal basicPaid, decimal supplementaryPaid, decimal majorQualifying, decimal majorPaid,
        decimal assistanceQualifying, decimal assistancePaid, decimal fundsPaid, decimal specialPaid)
    {
        var homeRegion = RegionCode.Parse(home);
        var special = specialDisease is not null;
        var treatment = RegionCode.Parse(treatmentIndex == 3 ? Fuzhou : Homes.Where(h => h != home).ElementAt(treatmentIndex));
        var admission = new DateOnly(2026, 5, 1);
        var discharge = special ? admission : new DateOnly(2026, 5, 12);
        var member = new MemberProfile("P1", homeRegion, employee ? InsuranceType.Employee : InsuranceType.Resident, retired, admission.AddYears(-age).AddDays(-3),
            years, assistance, enrolled, [.. SpecialDiseases.Select(d => new SpecialDiseaseRegistration(d, new DateOnly(2020, 1, 1), null))],
            filed ? [new Filing(treatment, new DateOnly(2026, 1, 1), null)] : [], balance, MemberStatus.Active);
        var referralValue = referral switch
        {
            1 => new Referral(ReferralType.Upward, "H1~R", referringPaid),
            2 => new Referral(ReferralType.Upward, "H1~R", null),
            3 => new Referral(ReferralType.Downward, "H1~R", null),
            _ => null,
        };
        var encounter = new Encounter("H1", treatment, (HospitalLevel)level, special ? EncounterType.SpecialOutpatient : EncounterType.Inpatient,
            admission, discharge, [dx], specialDisease, emergency, useAccount, referralValue, lines);
        var before = new AnnualAccumulators(2026, admissions, basicPaid, supplementaryPaid, majorQualifying, majorPaid, assistanceQualifying,
            assistancePaid, fundsPaid, new Dictionary<string, decimal> { [specialDisease ?? "E11"] = specialPaid });
        return new SettlementCase(encounter, member, before, WorkedExampleData.CatalogFor(treatment));
    }

    public static Arbitrary<SettlementCase> Arbitrary { get; } = Cases.ToArbitrary();
}
