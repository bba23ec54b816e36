using Gateway.Domain;

namespace Gateway.Domain.Tests;

/// <summary>A split cannot be made unless the identities of spec §3 hold (asserted where the value is made).</summary>
public sealed class SplitInvariantTests
{
    private static SettlementSplit Make(decimal total = 100m, decimal fullSelf = 10m, decimal inScope = 90m, decimal deductible = 20m,
        decimal basic = 50m, decimal cash = 50m, decimal account = 0m) =>
        new(total, fullSelf, 0m, 0m, inScope, deductible, basic, 0m, 0m, 0m, account, cash, 0m);

    [Fact]
    public void A_split_whose_identities_hold_is_made()
    {
        var s = Make();
        Assert.Equal(50m, s.FundTotal);
    }

    [Theory]
    [InlineData(100, 10, 80, 20, 50, 50, 0, "inScope")]        // the parts do not add up to the total
    [InlineData(100, 10, 90, 20, 50, 49.99, 0, "cash")]        // the payers do not add up to the total
    [InlineData(100, 10, 90, 95, 50, 50, 0, "deductible")]     // a deductible above the in-scope amount
    [InlineData(100, 10, 90, 20, 50.005, 49.995, 0, "cents")]  // not in cents
    [InlineData(100, 10, 90, 20, 110, -10, 0, "cents")]        // a negative payer
    public void A_split_whose_identities_fail_cannot_be_made(decimal total, decimal fullSelf, decimal inScope, decimal deductible, decimal basic, decimal cash, decimal account, string what)
    {
        var e = Assert.Throws<InvalidSplitException>(() => Make(total, fullSelf, inScope, deductible, basic, cash, account));
        Assert.Contains(what, e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
