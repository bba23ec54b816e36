namespace Gateway.Domain;

/// <summary>
/// What a member has used this calendar year (spec §4), held by the home region.
/// Special-outpatient deductibles are kept per disease code.
/// </summary>
public sealed record AnnualAccumulators(
    int Year,
    int Admissions,
    decimal BasicPaid,
    decimal SupplementaryPaid,
    decimal MajorQualifying,
    decimal MajorPaid,
    decimal AssistanceQualifying,
    decimal AssistancePaid,
    decimal FundsPaid,
    IReadOnlyDictionary<string, decimal> SpecialDeductiblePaid)
{
    private static readonly IReadOnlyDictionary<string, decimal> NoDiseases = new Dictionary<string, decimal>();

    public static AnnualAccumulators Empty(int year) => new(year, 0, 0m, 0m, 0m, 0m, 0m, 0m, 0m, NoDiseases);

    public decimal SpecialDeductiblePaidFor(string? disease) =>
        disease is not null && SpecialDeductiblePaid.TryGetValue(disease, out var v) ? v : 0m;

    public AnnualAccumulators Apply(AccumulatorDelta d) => Combine(d, +1);

    /// <summary>Undo exactly what <see cref="Apply"/> added (a cancellation, 撤销).</summary>
    public AnnualAccumulators Reverse(AccumulatorDelta d) => Combine(d, -1);

    private AnnualAccumulators Combine(AccumulatorDelta d, int sign)
    {
        if (d.Year != Year) throw new InvalidOperationException($"Delta for {d.Year} applied to accumulators of {Year}.");
        var diseases = SpecialDeductiblePaid;
        if (d.SpecialDisease is not null && d.SpecialDeductible != 0m)
        {
            var copy = new Dictionary<string, decimal>(SpecialDeductiblePaid);
            copy[d.SpecialDisease] = SpecialDeductiblePaidFor(d.SpecialDisease) + sign * d.SpecialDeductible;
            diseases = copy;
        }
        return new AnnualAccumulators(
            Year,
            Admissions + sign * d.Admissions,
            BasicPaid + sign * d.BasicPaid,
            SupplementaryPaid + sign * d.SupplementaryPaid,
            MajorQualifying + sign * d.MajorQualifying,
            MajorPaid + sign * d.MajorPaid,
            AssistanceQualifying + sign * d.AssistanceQualifying,
            AssistancePaid + sign * d.AssistancePaid,
            FundsPaid + sign * d.FundsPaid,
            diseases);
    }

    public bool SameAs(AnnualAccumulators o)
    {
        if (Year != o.Year || Admissions != o.Admissions || BasicPaid != o.BasicPaid || SupplementaryPaid != o.SupplementaryPaid
            || MajorQualifying != o.MajorQualifying || MajorPaid != o.MajorPaid || AssistanceQualifying != o.AssistanceQualifying
            || AssistancePaid != o.AssistancePaid || FundsPaid != o.FundsPaid) return false;
        foreach (var (k, v) in SpecialDeductiblePaid) if (o.SpecialDeductiblePaidFor(k) != v) return false;
        foreach (var (k, v) in o.SpecialDeductiblePaid) if (SpecialDeductiblePaidFor(k) != v) return false;
        return true;
    }
}

/// <summary>Exactly what one settlement added to the accumulators; a cancellation subtracts exactly this.</summary>
public sealed record AccumulatorDelta(
    int Year,
    int Admissions,
    decimal BasicPaid,
    decimal SupplementaryPaid,
    decimal MajorQualifying,
    decimal MajorPaid,
    decimal AssistanceQualifying,
    decimal AssistancePaid,
    decimal FundsPaid,
    string? SpecialDisease,
    decimal SpecialDeductible,
    decimal AccountPaid);
