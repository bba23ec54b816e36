using Azure.Data.Tables;
using Gateway.Domain;
using Gateway.Integration.Tests.InMemory;
using Gateway.Storage;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.Ledger;

/// <summary>
/// `gateway verify` on a store whose journal rows were changed behind the gateway's back: it reports each broken
/// row as a violation (and keeps checking the rest) instead of stopping at the first one it cannot read. Each test on a
/// fresh Azurite of its own and on a fresh in-memory store.
/// </summary>
public sealed class VerifierTamperTests : IAsyncLifetime
{
    private static readonly RegionCode Shenzhen = RegionCode.Parse("440300"), Nanchong = RegionCode.Parse("511300");
    private static readonly RegionCode[] Regions = [RegionCode.Parse("350200"), Shenzhen, RegionCode.Parse("441900"), Nanchong];
    private AzuriteFixture? _azurite;
    private StorageBackend _backend = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_azurite is not null) await _azurite.DisposeAsync();
    }

    private async Task UseAsync(Backend backend)
    {
        if (backend == Backend.Azurite) _azurite = await AzuriteFixture.StartAsync();
        _backend = StorageBackend.Open(backend, _azurite!);
    }

    private async Task<(GatewayStorage Storage, TableClient Ledger)> PostTwoAsync()
    {
        var storage = _backend.Storage();
        await storage.EnsureCreatedAsync();
        var ledger = new LedgerStore(storage, Regions, TimeProvider.System);
        var at = new DateTimeOffset(2026, 5, 15, 8, 0, 0, TimeSpan.Zero);
        foreach (var key in new[] { "H440300001~tamper-a", "H440300001~tamper-b" })
            await ledger.PostAsync(new LedgerPosting(key, "H440300001", Nanchong, Shenzhen, new FundAmounts(100m, 0m, 0m, 0m, 10m), 210m, 100m), at, CancellationToken.None);
        return (storage, storage.Table(GatewayStorage.LedgerTable));
    }

    private static async Task TamperAsync(TableClient table, string settlementKey, Func<JArray, JArray> change)
    {
        await foreach (var e in table.QueryAsync<TableEntity>(x => x.RowKey.CompareTo("journal-") >= 0 && x.RowKey.CompareTo("journal-~") < 0))
        {
            if (e.GetString("SettlementKey") != settlementKey) continue;
            e["Lines"] = change(JArray.Parse(e.GetString("Lines"))).ToString(Newtonsoft.Json.Formatting.None);
            await table.UpdateEntityAsync(e, Azure.ETag.All, TableUpdateMode.Replace);
            return;
        }
        throw new InvalidOperationException($"No journal row for {settlementKey}.");
    }

    private static InvariantResult Invariant(IReadOnlyList<InvariantResult> results, string startsWith) =>
        results.Single(r => r.Name.StartsWith(startsWith, StringComparison.Ordinal));

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task An_unbalanced_journal_row_is_reported_not_thrown(Backend backend)
    {
        await UseAsync(backend);
        var (storage, table) = await PostTwoAsync();
        // The basic-fund debit of 'a' grows by 1.00: debits 111.00, credit 110.00.
        await TamperAsync(table, "H440300001~tamper-a", lines => { lines[0]!["D"] = "101.00"; return lines; });

        var results = await new StoreVerifier(storage, Regions).VerifyAsync(CancellationToken.None);
        var balance = Invariant(results, "every journal balances");
        Assert.False(balance.Holds);
        Assert.Single(balance.Violations);
        Assert.Contains("does not balance", balance.Violations[0], StringComparison.Ordinal);
        Assert.Equal(2, balance.Checked); // 'b' was still read and checked
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_balanced_journal_whose_lines_disagree_with_its_fund_amounts_is_reported(Backend backend)
    {
        await UseAsync(backend);
        var (storage, table) = await PostTwoAsync();
        // Still balanced (both sides +5.00), but the basic-fund line no longer carries the basic amount.
        await TamperAsync(table, "H440300001~tamper-b", lines =>
        {
            lines[0]!["D"] = "105.00";
            var payable = lines.Last!;
            payable["C"] = "115.00";
            return lines;
        });

        var results = await new StoreVerifier(storage, Regions).VerifyAsync(CancellationToken.None);
        Assert.True(Invariant(results, "every journal balances").Holds);
        var lines = Invariant(results, "every journal's lines carry its fund amounts");
        Assert.False(lines.Holds);
        Assert.Contains("H440300001~tamper-b/0: basic: lines 105.00, fund amount 100.00", lines.Violations, StringComparer.Ordinal);
    }

    [Theory]
    [InlineData(Backend.Azurite)]
    [InlineData(Backend.Memory)]
    public async Task A_difference_a_second_pass_no_longer_finds_was_in_flight_and_one_it_finds_again_is_a_violation(Backend backend)
    {
        await UseAsync(backend);
        var (storage, table) = await PostTwoAsync();
        // A journal whose settlement row the first pass does not see (as when verify runs between the two): 'journal for unknown settlement'.
        var verifier = new StoreVerifier(storage, Regions);
        var results = await verifier.VerifyConfirmedAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None, betweenPasses: async () =>
        {
            // ... and the pipeline finishing meanwhile: the settlements appear.
            var settlements = new SettlementStore(storage);
            foreach (var id in new[] { "tamper-a", "tamper-b" })
                await settlements.CreateAsync(new SettlementRecord
                {
                    HospitalCode = "H440300001", HospitalSettlementId = id, Status = SettlementStatus.Completed, RequestHash = "x", HomeRegion = "511300",
                    TreatmentRegion = "440300", MemberId = "M1", ServiceDate = new DateOnly(2026, 5, 9), SubmittedAt = DateTimeOffset.UtcNow, RequestMessage = "{}",
                }, CancellationToken.None);
        });
        Assert.All(results, r => Assert.True(r.Holds, $"{r.Name}: {string.Join("; ", r.Violations)}"));
        Assert.Equal(2, verifier.Transient);

        // A real break is found in both passes and reported.
        await TamperAsync(table, "H440300001~tamper-a", lines => { lines[0]!["D"] = "101.00"; return lines; });
        results = await verifier.VerifyConfirmedAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        Assert.False(Invariant(results, "every journal balances").Holds);
    }
}
