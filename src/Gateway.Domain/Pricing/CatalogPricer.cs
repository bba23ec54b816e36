using System.Runtime.CompilerServices;

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

        // Only the totals are formed here; the per-line breakdown is built on demand (PricedEncounter.Lines) by
        // PriceLine, which does the same arithmetic in decimal. The totals come from TryPriceSmall's exact integer
        // arithmetic when every figure is small (the usual bill), else from the same decimal arithmetic as PriceLine.
        var date = encounter.ServiceDate;
        return TryPriceSmall(catalog, encounter, date) ?? PriceDecimal(catalog, encounter, date);
    }

    /// <summary>The totals in decimal. Adding 0m changes neither a decimal's value nor its scale, so skipping the zero parts of a line gives the line-by-line sums.</summary>
    private static PricedEncounter PriceDecimal(Catalog catalog, Encounter encounter, DateOnly date)
    {
        var lines = encounter.Lines;
        var count = lines.Count;
        decimal full = 0m, over = 0m, pre = 0m, inScope = 0m;
        for (var i = 0; i < count; i++)
        {
            var l = lines[i];
            ref readonly var item = ref catalog.Find(l.ItemCode, date);
            if (Unsafe.IsNullRef(in item) || item.Class == CatalogClass.C)
            {
                full += l.Amount;
                continue;
            }
            var overLimit = OverLimit(in item, l);
            var remaining = l.Amount - overLimit;
            var preSelf = PreSelf(in item, remaining);
            over += overLimit;
            pre += preSelf;
            inScope += remaining - preSelf;
        }
        return new PricedEncounter(encounter, catalog, date, full + over + pre + inScope, full, over, pre, inScope);
    }

    /// <summary>
    /// The totals of <see cref="PriceDecimal"/>, to the same value and scale, with <see cref="SmallDecimal"/> integer arithmetic;
    /// null (nothing decided) as soon as a figure is outside its small domain: an amount with more than 2 digits after the
    /// point, a unit price, quantity or ceiling with more than 4, a pre-self-pay ratio with more than 6 or above 1, anything negative,
    /// or a class A/B line with nothing in scope (decimal's zero differences can carry a sign bit; this keeps even that identical).
    /// </summary>
    private static PricedEncounter? TryPriceSmall(Catalog catalog, Encounter encounter, DateOnly date)
    {
        var lines = encounter.Lines;
        var count = lines.Count;
        SmallDecimal.Cents full = default, over = default, pre = default, inScope = default;
        for (var i = 0; i < count; i++)
        {
            var l = lines[i];
            // Validated: 0 ≤ amount ≤ 10^8, so at most 10^10 cents; 0 ≤ unit price ≤ 10^8; 0 < quantity ≤ 10^6.
            if (!SmallDecimal.TryGet(l.Amount, out var amount, out var amountScale) || amountScale > 2) return null;
            var amountCents = amount * SmallDecimal.Pow(2 - amountScale);
            ref readonly var item = ref catalog.Find(l.ItemCode, date);
            if (Unsafe.IsNullRef(in item) || item.Class == CatalogClass.C)
            {
                full.Add(amountCents, amountScale);
                continue;
            }

            // Over the ceiling: min(round((unitPrice − ceiling) × quantity), amount).
            ulong overCents = 0;
            var overScale = 0; // 0m
            if (item.PriceCeiling is { } ceiling)
            {
                if (!SmallDecimal.TryGet(l.UnitPrice, out var price, out var priceScale) || priceScale > 4
                    || !SmallDecimal.TryGet(ceiling, out var cap, out var capScale) || capScale > 4 || cap > 100_000_000_000_000UL) return null; // ≤ 10^14: ≤ 10^18 once scaled
                var scale = Math.Max(priceScale, capScale); // of unitPrice − ceiling
                price *= SmallDecimal.Pow(scale - priceScale); // ≤ 10^12
                cap *= SmallDecimal.Pow(scale - capScale);
                if (price > cap)
                {
                    if (!SmallDecimal.TryGet(l.Quantity, out var quantity, out var quantityScale) || quantityScale > 4) return null;
                    // (price − cap) ≤ 10^12 at scale ≤ 4, quantity ≤ 10^10 at scale ≤ 4: the product can pass 64 bits.
                    var high = Math.BigMul(price - cap, quantity, out var product);
                    if (high != 0) return null;
                    var rounded = SmallDecimal.Round2(product, scale + quantityScale, out var roundedScale);
                    if (rounded > 1_000_000_000_000UL) return null; // above any amount: keep the cents below in range
                    var roundedCents = rounded * SmallDecimal.Pow(2 - roundedScale);
                    if (roundedCents < amountCents) { overCents = roundedCents; overScale = roundedScale; }
                    else { overCents = amountCents; overScale = amountScale; }
                }
            }
            var remainingCents = amountCents - overCents;
            var remainingScale = Math.Max(amountScale, overScale);

            // Class B: round(remaining × preSelfPayRatio).
            ulong preCents = 0;
            var preScale = 0; // 0m
            if (item.Class == CatalogClass.B)
            {
                if (!SmallDecimal.TryGet(item.PreSelfPayRatio, out var ratio, out var ratioScale) || ratioScale > 6 || ratio > SmallDecimal.Pow(ratioScale)) return null;
                var remaining = remainingCents / SmallDecimal.Pow(2 - remainingScale); // ≤ 10^10
                var rounded = SmallDecimal.Round2(remaining * ratio, remainingScale + ratioScale, out preScale); // ≤ 10^16
                preCents = rounded * SmallDecimal.Pow(2 - preScale); // ratio ≤ 1: at most the remaining cents
            }
            // A difference of zero may come out of decimal as −0 (depending on the scales): leave those lines to decimal.
            if (remainingCents == preCents) return null;
            over.Add(overCents, overScale);
            pre.Add(preCents, preScale);
            inScope.Add(remainingCents - preCents, Math.Max(remainingScale, preScale));
        }
        SmallDecimal.Cents total = full;
        total.Add(over.Value, over.Scale);
        total.Add(pre.Value, pre.Scale);
        total.Add(inScope.Value, inScope.Scale);
        return new PricedEncounter(encounter, catalog, date, total.ToDecimal(), full.ToDecimal(), over.ToDecimal(), pre.ToDecimal(), inScope.ToDecimal());
    }

    /// <summary>
    /// One line priced on its own date, as the national interface's fee upload (2301) answers it line by line; the same
    /// arithmetic as <see cref="PricedEncounter.Lines"/>. The line is not validated here (the caller's validator is).
    /// </summary>
    public static PricedLine PriceOne(Catalog catalog, EncounterLine line, DateOnly date) => PriceLine(catalog, line, date);

    /// <summary>One line priced (spec §3, per line): what <see cref="PricedEncounter.Lines"/> holds.</summary>
    internal static PricedLine PriceLine(Catalog catalog, EncounterLine l, DateOnly date)
    {
        ref readonly var item = ref catalog.Find(l.ItemCode, date);
        if (Unsafe.IsNullRef(in item))
        {
            return new PricedLine(l.LineNo, l.ItemCode, LinePricing.NotInCatalog, l.Amount, l.Amount, 0m, 0m, 0m, null, 0m);
        }
        if (item.Class == CatalogClass.C)
        {
            return new PricedLine(l.LineNo, l.ItemCode, LinePricing.ClassC, l.Amount, l.Amount, 0m, 0m, 0m, item.PriceCeiling, 0m);
        }
        var overLimit = OverLimit(in item, l);
        var remaining = l.Amount - overLimit;
        var preSelf = PreSelf(in item, remaining);
        return new PricedLine(l.LineNo, l.ItemCode, item.Class == CatalogClass.A ? LinePricing.ClassA : LinePricing.ClassB,
            l.Amount, 0m, overLimit, preSelf, remaining - preSelf, item.PriceCeiling, item.Class == CatalogClass.B ? item.PreSelfPayRatio : 0m);
    }

    /// <summary>Price above the ceiling: (unitPrice − ceiling) × quantity, rounded, at most the amount (class A and B).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static decimal OverLimit(in CatalogItem item, EncounterLine l) =>
        item.PriceCeiling is { } ceiling && l.UnitPrice > ceiling ? Money.Min(Money.Round((l.UnitPrice - ceiling) * l.Quantity), l.Amount) : 0m;

    /// <summary>Class B: the pre-self-pay share of what is left after the over-limit part, rounded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static decimal PreSelf(in CatalogItem item, decimal remaining) =>
        item.Class == CatalogClass.B ? Money.Round(remaining * item.PreSelfPayRatio) : 0m;

    /// <summary>No date before this is plausible (a typo for the year, or a test value).</summary>
    public static readonly DateOnly EarliestDate = new(1900, 1, 1);

    /// <summary>The longest stay one settlement covers; a longer one is settled in parts.</summary>
    public const int MaxStayDays = 366;

    /// <summary>The checks of spec §5 that need only the encounter.</summary>
    public static void Validate(Encounter e)
    {
        if (e.AdmissionDate < EarliestDate)
            throw Reject(RejectionCode.ImpossibleDates, $"The admission (or visit) date is before {EarliestDate:yyyy-MM-dd}: not a plausible date.", "/admissionDate");
        if (e.DischargeDate < e.AdmissionDate)
            throw Reject(RejectionCode.ImpossibleDates, "The discharge date is before the admission date.", "/dischargeDate");
        if (e.DischargeDate.DayNumber - e.AdmissionDate.DayNumber > MaxStayDays)
            throw Reject(RejectionCode.ImpossibleDates, $"A stay of more than {MaxStayDays} days: settle a longer stay in parts.", "/dischargeDate");
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

        // Duplicate line numbers. Lines are usually numbered in increasing order, which rules duplicates out in one pass;
        // otherwise sort a copy on the stack for ordinary encounters (no allocation on the hot path).
        var lines = e.Lines;
        var count = lines.Count;
        var increasing = true;
        for (int i = 1, previous = lines[0].LineNo; i < count && increasing; i++)
        {
            var no = lines[i].LineNo;
            increasing = no > previous;
            previous = no;
        }
        if (!increasing)
        {
            Span<int> numbers = count <= 256 ? stackalloc int[count] : new int[count];
            for (var i = 0; i < count; i++) numbers[i] = lines[i].LineNo;
            numbers.Sort();
            for (var i = 1; i < count; i++)
            {
                if (numbers[i] == numbers[i - 1])
                    throw Reject(RejectionCode.DuplicateLineNumber, $"Line number {numbers[i]} appears more than once.", $"/lines/{IndexOfSecond(lines, numbers[i])}/lineNo");
            }
        }
        // Each line: the exact integer check when its figures are small (the usual bill), else the decimal checks, which
        // also give the rejection. The total is Σ amount either way.
        ulong totalCents = 0;
        decimal total = 0m;
        for (var i = 0; i < count; i++)
        {
            var l = lines[i];
            if (TryCheckSmall(l, out var cents))
            {
                totalCents += cents;
                continue;
            }
            if (l.Quantity.Scale > 4 && decimal.Round(l.Quantity, 4) != l.Quantity)
                throw Reject(RejectionCode.NegativeOrAbsurdAmount, $"Line {l.LineNo}: a quantity has at most four decimals.", $"/lines/{i}/quantity");
            if (l.Quantity <= 0m || l.UnitPrice < 0m || l.Amount < 0m || l.Amount > Money.AbsurdAmount || l.UnitPrice > Money.AbsurdAmount || l.Quantity > 1_000_000m)
                throw Reject(RejectionCode.NegativeOrAbsurdAmount, $"Line {l.LineNo}: quantity must be positive, prices and amounts non-negative and below {Money.AbsurdAmount:0}.", $"/lines/{i}");
            // A decimal with at most two (four) digits after the point is its own rounding: Round only the others.
            if ((l.Amount.Scale > 2 && decimal.Round(l.Amount, 2) != l.Amount) || (l.UnitPrice.Scale > 4 && decimal.Round(l.UnitPrice, 4) != l.UnitPrice))
                throw Reject(RejectionCode.NegativeOrAbsurdAmount, $"Line {l.LineNo}: amounts have at most two decimals (unit price four).", $"/lines/{i}/amount");
            if (Math.Abs(l.Quantity * l.UnitPrice - l.Amount) > 0.01m)
                throw Reject(RejectionCode.LineArithmetic, $"Line {l.LineNo}: amount {l.Amount:0.00} is not quantity {l.Quantity} × unit price {l.UnitPrice} within 0.01.", $"/lines/{i}/amount");
            total += l.Amount;
        }
        if (totalCents > 0) total += SmallDecimal.ToDecimal(totalCents, 2); // ≤ 10^4 lines × 10^10 cents: exact
        if (total > Money.AbsurdAmount)
            throw Reject(RejectionCode.NegativeOrAbsurdAmount, $"The encounter total exceeds {Money.AbsurdAmount:0}.", "/lines");
    }

    /// <summary>
    /// True when the line passes every check of <see cref="Validate"/>, decided exactly in integers: quantity, unit price and
    /// amount not negative, small (scales ≤ 4, 4 and 2) and within bounds, and |quantity × unitPrice − amount| ≤ 0.01.
    /// False decides nothing: the decimal checks then run.
    /// </summary>
    private static bool TryCheckSmall(EncounterLine l, out ulong amountCents)
    {
        amountCents = 0;
        if (!SmallDecimal.TryGet(l.Quantity, out var quantity, out var quantityScale) || quantityScale > 4 || quantity == 0
            || quantity > 1_000_000UL * SmallDecimal.Pow(quantityScale)) return false;
        if (!SmallDecimal.TryGet(l.UnitPrice, out var price, out var priceScale) || priceScale > 4
            || price > 100_000_000UL * SmallDecimal.Pow(priceScale)) return false;
        if (!SmallDecimal.TryGet(l.Amount, out var amount, out var amountScale) || amountScale > 2
            || amount > 100_000_000UL * SmallDecimal.Pow(amountScale)) return false;
        // quantity × unitPrice has scale s ≤ 8 and is below 10^22: compare at scale max(s, 2) in 128 bits.
        var productScale = quantityScale + priceScale;
        var scale = Math.Max(productScale, 2);
        var product = (UInt128)(quantity * SmallDecimal.Pow(scale - productScale)) * price; // quantity ≤ 10^10 × 10^2
        var billed = (UInt128)(amount * SmallDecimal.Pow(scale - amountScale)); // ≤ 10^16
        var difference = product > billed ? product - billed : billed - product;
        if (difference > SmallDecimal.Pow(scale - 2)) return false;
        amountCents = amount * SmallDecimal.Pow(2 - amountScale);
        return true;
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
