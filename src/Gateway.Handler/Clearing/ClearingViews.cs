using Gateway.Domain;
using Gateway.Storage;

namespace Gateway.Handler.Clearing;

// The clearing API's response bodies (docs/openapi.json, schemas Clearing*): DTO records, written by GatewayResults.Json.

public sealed record FundsView(decimal Basic, decimal Supplementary, decimal MajorIllness, decimal Assistance, decimal PersonalAccount, decimal Total)
{
    public static FundsView From(FundAmounts f) => new(f.Basic, f.Supplementary, f.MajorIllness, f.Assistance, f.PersonalAccount, f.Total);
}

public sealed record PeriodStatusView(string Period, string Status);

public sealed record PeriodsView(string Current, IReadOnlyList<PeriodStatusView> Periods);

public sealed record PositionView(string Home, string Treatment, FundsView Funds, int Postings, int Reversals, int Settlements)
{
    public static PositionView From(PairPosition p) => new(p.Home.Value, p.Treatment.Value, FundsView.From(p.Funds), p.Postings, p.Reversals, p.NetCount);
}

public sealed record RegionNetView(string Region, decimal Receivable, decimal Payable, decimal Net);

public sealed record BilateralView(string A, string B, decimal AOwesB, decimal BOwesA, decimal Net);

public sealed record NettingView(IReadOnlyList<RegionNetView> Regions, decimal Sum, IReadOnlyList<PaymentInstruction> Instructions, IReadOnlyList<BilateralView> Bilateral)
{
    public static NettingView From(NettingResult n) => new(
        n.Regions.Select(x => new RegionNetView(x.Region.Value, x.Receivable, x.Payable, x.Net)).ToList(),
        n.Sum,
        n.Instructions,
        n.Bilateral.Select(b => new BilateralView(b.A.Value, b.B.Value, b.AOwesB, b.BOwesA, b.Net)).ToList());
}

public sealed record PositionsView(string Period, bool Closed, IReadOnlyList<string> Regions, IReadOnlyList<PositionView> Positions, FundsView Totals, int Settlements, NettingView Netting);

public sealed record SideView(string Region, string Status, string? Reason, IReadOnlyList<string> SettlementIds, string? By, DateTimeOffset? At)
{
    public static SideView From(StatementSide x) => new(x.Region.Value, x.Status, x.Reason, x.SettlementIds, x.By, x.At);
}

public sealed record StatementView(string Period, string Home, string Treatment, FundsView Funds, int Postings, int Reversals, int Settlements,
    string Status, string HomeStatus, string TreatmentStatus, SideView HomeSide, SideView TreatmentSide, DateTimeOffset ClosedAt)
{
    public static StatementView From(PeriodStatement s) => new(s.Period.ToString(), s.Home.Value, s.Treatment.Value, FundsView.From(s.Funds), s.Postings, s.Reversals,
        s.NetCount, s.Status, s.HomeStatus, s.TreatmentStatus, SideView.From(s.HomeSide), SideView.From(s.TreatmentSide), s.ClosedAt);
}

public sealed record ResponseView(int Sequence, string Side, string Status, string? Reason, IReadOnlyList<string> SettlementIds, string By, DateTimeOffset At)
{
    public static ResponseView From(StatementResponse x) => new(x.Sequence, x.Side.Value, x.Status, x.Reason, x.SettlementIds, x.By, x.At);
}

public sealed record StatementDetailView(string Period, string Home, string Treatment, StatementView? Statement, PositionView Position, IReadOnlyList<ResponseView> Responses);

public sealed record ClosedPeriodView(string Period, string Status, IReadOnlyList<StatementView> Statements);

public sealed record LineView(string Account, decimal Debit, decimal Credit);

public sealed record EntryView(string SettlementId, int Sequence, bool Reversal, bool Adjustment, string Period, string Hospital, DateTimeOffset? PostedAt,
    string Home, string Treatment, FundsView Funds, IReadOnlyList<LineView> Lines)
{
    public static EntryView From(JournalEntry e, DateTimeOffset? postedAt = null) => new(e.SettlementKey, e.Sequence, e.IsReversal, e.IsAdjustment, e.Period.ToString(), e.HospitalCode, postedAt,
        e.Home.Value, e.Treatment.Value, FundsView.From(e.Funds), e.Lines.Select(l => new LineView(l.Account, l.Debit, l.Credit)).ToList());
}

public sealed record EntriesPage(string Period, IReadOnlyList<EntryView> Items, string? Next);

public sealed record SettlementJournalView(Intake.SettlementView Settlement, string HospitalCode, IReadOnlyList<EntryView> Journal);

/// <summary>GET /api/v1/clearing/me: who it is and what it may do (the pages show only that).</summary>
public sealed record ClearingMeView(string Name, string Role, string? Region, IReadOnlyList<string> Grants, bool CanRead, bool CanClose,
    IReadOnlyList<string> RespondsFor, IReadOnlyList<string> Administers);
