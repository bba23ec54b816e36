namespace Gateway.Domain;

/// <summary>
/// Prices an encounter with the treatment region's catalog (spec §3, per line), after checking
/// the encounter itself: dates, line numbers, arithmetic, amounts. Pure and allocation-light.
/// </summary>
public static class CatalogPricer
{
    public const int MaxLines = 10_000;

    /// <summary>Throws <see cref="RejectedException"/> for input that must be rejected.</summary>
    public static PricedEncounter Price(Catalog catalog, Encounter encounter)
    {
        Validate(encounter);
        if (catalog.Region != encounter.TreatmentRegion)
        {
            throw Reject(RejectionCode.CatalogMissing, $"No catalog of treatment region {encounter.TreatmentRegion} (got {catalog.Region}).", "/treatmentRegion");
        }

        var date = encounter.ServiceDate;
        var lines = encounter.Lines;
        var priced = new PricedLine[lines.Count];
        decimal full = 0m, over = 0m, pre = 0m, inScope = 0m;
        for (var i = 0; i < priced.Length; i++)
        {
            var l = lines[i];
            PricedLine p;
            if (!catalog.TryFind(l.ItemCode, date, out var item))
            {
                p = new PricedLine(l.LineNo, l.ItemCode, LinePricing.NotInCatalog, l.Amount, l.Amount, 0m, 0m, 0m, null, 0m);
            }
            else if (item.Class == CatalogClass.C)
            {
                p = new PricedLine(l.LineNo, l.ItemCode, LinePricing.ClassC, l.Amount, l.Amount, 0m, 0m, 0m, item.PriceCeiling, 0m);
            }
            else
            {
                var overLimit = 0m;
                if (item.PriceCeiling is { } ceiling && l.UnitPrice > ceiling)
                {
                    overLimit = Money.Min(Money.Round((l.UnitPrice - ceiling) * l.Quantity), l.Amount);
                }
                var remaining = l.Amount - overLimit;
                var preSelf = item.Class == CatalogClass.B ? Money.Round(remaining * item.PreSelfPayRatio) : 0m;
                p = new PricedLine(l.LineNo, l.ItemCode, item.Class == CatalogClass.A ? LinePricing.ClassA : LinePricing.ClassB,
                    l.Amount, 0m, overLimit, preSelf, remaining - preSelf, item.PriceCeiling, item.Class == CatalogClass.B ? item.PreSelfPayRatio : 0m);
            }
            priced[i] = p;
            full += p.FullSelfPay;
            over += p.OverLimitSelfPay;
            pre += p.PreSelfPay;
            inScope += p.InScope;
        }
        return new PricedEncounter(encounter, priced, full + over + pre + inScope, full, over, pre, inScope, catalog.Version);
    }

    /// <summary>The checks of spec §5 that need only the encounter.</summary>
    public static void Validate(Encounter e)
    {
        if (e.DischargeDate < e.AdmissionDate)
            throw Reject(RejectionCode.ImpossibleDates, "The discharge date is before the admission date.", "/dischargeDate");
        if (e.EncounterType == EncounterType.SpecialOutpatient)
        {
            if (e.DischargeDate != e.AdmissionDate)
                throw Reject(RejectionCode.ImpossibleDates, "A special-outpatient visit has one date.", "/dischargeDate");
            if (string.IsNullOrWhiteSpace(e.SpecialDiseaseCode))
                throw Reject(RejectionCode.InvalidEncounter, "A special-outpatient visit names its special-disease code.", "/specialDiseaseCode");
        }
        if (e.Diagnoses.Count == 0)
            throw Reject(RejectionCode.InvalidEncounter, "At least one diagnosis (ICD-10) is required; the first is the primary.", "/diagnoses");
        if (e.Lines.Count == 0)
            throw Reject(RejectionCode.InvalidEncounter, "An encounter has at least one line.", "/lines");
        if (e.Lines.Count > MaxLines)
            throw Reject(RejectionCode.InvalidEncounter, $"An encounter has at most {MaxLines} lines.", "/lines");

        // Duplicate line numbers: sort a copy on the stack for ordinary encounters (no allocation on the hot path).
        var count = e.Lines.Count;
        Span<int> numbers = count <= 256 ? stackalloc int[count] : new int[count];
        for (var i = 0; i < count; i++) numbers[i] = e.Lines[i].LineNo;
        numbers.Sort();
        for (var i = 1; i < count; i++)
        {
            if (numbers[i] == numbers[i - 1])
                throw Reject(RejectionCode.DuplicateLineNumber, $"Line number {numbers[i]} appears more than once.", $"/lines/{IndexOfSecond(e.Lines, numbers[i])}/lineNo");
        }
        decimal total = 0m;
        for (var i = 0; i < count; i++)
        {
            var l = e.Lines[i];
            if (l.Quantity <= 0m || l.UnitPrice < 0m || l.Amount < 0m || l.Amount > Money.AbsurdAmount || l.UnitPrice > Money.AbsurdAmount || l.Quantity > 1_000_000m)
                throw Reject(RejectionCode.NegativeOrAbsurdAmount, $"Line {l.LineNo}: quantity must be positive, prices and amounts non-negative and below {Money.AbsurdAmount:0}.", $"/lines/{i}");
            if (decimal.Round(l.Amount, 2) != l.Amount || decimal.Round(l.UnitPrice, 4) != l.UnitPrice)
                throw Reject(RejectionCode.NegativeOrAbsurdAmount, $"Line {l.LineNo}: amounts have at most two decimals (unit price four).", $"/lines/{i}/amount");
            if (Math.Abs(l.Quantity * l.UnitPrice - l.Amount) > 0.01m)
                throw Reject(RejectionCode.LineArithmetic, $"Line {l.LineNo}: amount {l.Amount:0.00} is not quantity {l.Quantity} × unit price {l.UnitPrice} within 0.01.", $"/lines/{i}/amount");
            total += l.Amount;
        }
        if (total > Money.AbsurdAmount)
            throw Reject(RejectionCode.NegativeOrAbsurdAmount, $"The encounter total exceeds {Money.AbsurdAmount:0}.", "/lines");
    }

    private static int IndexOfSecond(IReadOnlyList<EncounterLine> lines, int lineNo)
    {
        var seen = false;
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].LineNo != lineNo) continue;
            if (seen) return i;
            seen = true;
        }
        return 0;
    }

    private static RejectedException Reject(RejectionCode code, string detail, string pointer) => new(new Rejection(code, detail, pointer));
}
