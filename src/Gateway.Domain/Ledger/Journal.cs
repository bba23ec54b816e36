namespace Gateway.Domain;

/// <summary>One settlement as the ledger needs it (the reply function maps a split onto this in one line).</summary>
public sealed record LedgerPosting(
    string SettlementKey,
    string HospitalCode,
    RegionCode Home,
    RegionCode Treatment,
    FundAmounts Funds,
    decimal Total,
    decimal Cash);

/// <summary>One line of a journal entry: an account and a debit or a credit (never both).</summary>
public readonly record struct JournalLine(string Account, decimal Debit, decimal Credit);

/// <summary>
/// A balanced journal entry (Σ debit = Σ credit, asserted on construction). Sequence 0 posts a settlement,
/// sequence 1 is its exact reversal (撤销), posted into the period open when the cancellation is applied.
/// </summary>
public sealed record JournalEntry
{
    public JournalEntry(string settlementKey, int sequence, ClearingPeriod period, string hospitalCode, RegionCode home, RegionCode treatment,
        FundAmounts funds, IReadOnlyList<JournalLine> lines)
    {
        SettlementKey = settlementKey;
        Sequence = sequence;
        Period = period;
        HospitalCode = hospitalCode;
        Home = home;
        Treatment = treatment;
        Funds = funds;
        Lines = lines;
        if (!IsBalanced) throw new InvalidOperationException($"Journal {settlementKey}/{sequence} does not balance.");
    }

    public string SettlementKey { get; }
    public int Sequence { get; }
    public ClearingPeriod Period { get; }
    public string HospitalCode { get; }
    public RegionCode Home { get; }
    public RegionCode Treatment { get; }
    /// <summary>Signed: a reversal carries the negated amounts.</summary>
    public FundAmounts Funds { get; }
    public IReadOnlyList<JournalLine> Lines { get; }

    public decimal DebitTotal => Lines.Sum(l => l.Debit);
    public decimal CreditTotal => Lines.Sum(l => l.Credit);
    public bool IsBalanced => DebitTotal == CreditTotal && Lines.All(l => l.Debit >= 0 && l.Credit >= 0 && (l.Debit == 0 || l.Credit == 0));
    public bool IsReversal => Sequence == 1;
    /// <summary>Sequence 2: a review's refusal (拒付, spec §10.3) took back part or all of the fund share.</summary>
    public bool IsAdjustment => Sequence == AdjustmentSequence;

    public const int AdjustmentSequence = 2;
}

/// <summary>The chart of accounts and how a settlement becomes a journal entry.</summary>
public static class Journal
{
    public static string FundAccount(RegionCode home, string fund) => $"home:{home}:{fund}";

    public static string AdvancePayable(RegionCode treatment) => $"treatment:{treatment}:advancePayable";

    public static readonly string[] Funds = ["basic", "supplementary", "majorIllness", "assistance", "personalAccount"];

    public static decimal Of(FundAmounts f, string fund) => fund switch
    {
        "basic" => f.Basic,
        "supplementary" => f.Supplementary,
        "majorIllness" => f.MajorIllness,
        "assistance" => f.Assistance,
        "personalAccount" => f.PersonalAccount,
        _ => throw new ArgumentOutOfRangeException(nameof(fund)),
    };

    /// <summary>Debit the home region's fund accounts per layer, credit the treatment region's advance payable to the hospital.</summary>
    public static JournalEntry Post(LedgerPosting p, ClearingPeriod period)
    {
        var lines = new List<JournalLine>(6);
        foreach (var fund in Funds)
        {
            var amount = Of(p.Funds, fund);
            if (amount != 0m) lines.Add(new JournalLine(FundAccount(p.Home, fund), amount, 0m));
        }
        lines.Add(new JournalLine(AdvancePayable(p.Treatment), 0m, p.Funds.Total));
        return new JournalEntry(p.SettlementKey, 0, period, p.HospitalCode, p.Home, p.Treatment, p.Funds, lines);
    }

    /// <summary>The fund share of a posting that a review may refuse: every fund layer, not the personal account (the member's own money).</summary>
    public static decimal FundShare(FundAmounts f) => f.Basic + f.Supplementary + f.MajorIllness + f.Assistance;

    /// <summary>
    /// A refusal's clearing adjustment (sequence 2): <paramref name="amount"/> of the posting's fund share no longer owed by the home
    /// region to the treatment region, taken from the layers in order (basic, supplementary, major illness, assistance). Balanced:
    /// the treatment region's advance payable is debited, the home fund accounts credited, exactly.
    /// </summary>
    public static JournalEntry Adjust(JournalEntry original, decimal amount, ClearingPeriod period)
    {
        if (original.Sequence != 0) throw new InvalidOperationException("Only a settlement's posting is adjusted.");
        if (amount <= 0m || amount > FundShare(original.Funds) || decimal.Round(amount, 2) != amount)
            throw new ArgumentOutOfRangeException(nameof(amount), $"A refusal takes 0.01 to {FundShare(original.Funds):0.00} (the fund share).");
        var left = amount;
        decimal Take(decimal layer) { var t = Math.Min(layer, left); left -= t; return t; }
        var funds = new FundAmounts(Take(original.Funds.Basic), Take(original.Funds.Supplementary), Take(original.Funds.MajorIllness), Take(original.Funds.Assistance), 0m);
        var lines = new List<JournalLine> { new(AdvancePayable(original.Treatment), amount, 0m) };
        foreach (var fund in Funds)
        {
            var a = Of(funds, fund);
            if (a != 0m) lines.Add(new JournalLine(FundAccount(original.Home, fund), 0m, a));
        }
        return new JournalEntry(original.SettlementKey, JournalEntry.AdjustmentSequence, period, original.HospitalCode, original.Home, original.Treatment, -funds, lines);
    }

    /// <summary>The exact reversal: every line with debit and credit swapped, into <paramref name="openPeriod"/>.</summary>
    public static JournalEntry Reverse(JournalEntry original, ClearingPeriod openPeriod)
    {
        if (original.IsReversal) throw new InvalidOperationException("A reversal is not reversed again; a correction is a new entry.");
        var lines = original.Lines.Select(l => new JournalLine(l.Account, l.Credit, l.Debit)).ToList();
        return new JournalEntry(original.SettlementKey, 1, openPeriod, original.HospitalCode, original.Home, original.Treatment, -original.Funds, lines);
    }
}
