using Gateway.Contracts;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>The strict reader on its own: what it accepts exactly, what it refuses and where it points.</summary>
public sealed class StrictJsonTests
{
    private static string Valid() => File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "demo", "settlement-A.json")).Replace("__ID__", "strict-1", StringComparison.Ordinal);

    [Fact]
    public void A_valid_request_reads_exactly()
    {
        var r = StrictJson.Deserialize<SettlementRequest>(Valid());
        Assert.Equal("strict-1", r.HospitalSettlementId);
        Assert.Equal(7, r.Encounter!.Lines!.Count);
        Assert.Equal(250.00m, r.Encounter.Lines[0].Amount);
        Assert.Equal(1, r.Encounter.Lines[0].LineNo);
        Assert.False(r.Encounter.Emergency);
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "/a")]
    [InlineData("{\"hospitalSettlementId\":12}", "/hospitalSettlementId")]
    [InlineData("{\"trial\":1}", "/trial")]
    [InlineData("{\"trial\":\"true\"}", "/trial")]
    [InlineData("{\"encounter\":{\"lines\":[{\"lineNo\":\"1\"}]}}", "/encounter/lines/0/lineNo")]
    [InlineData("{\"encounter\":{\"lines\":{}}}", "/encounter/lines")]
    [InlineData("{\"colour\":\"red\"}", "/colour")]
    [InlineData("{\"member\":{\"memberId\":\"a\\u0000b\"}}", "/member/memberId")]
    public void Refusals_point_at_the_value(string json, string pointer)
    {
        var e = Assert.Throws<StrictJsonException>(() => StrictJson.Deserialize<SettlementRequest>(json));
        Assert.Equal(pointer, e.Pointer);
        Assert.DoesNotContain("Gateway.", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sizes_and_encodings_are_bounded()
    {
        Assert.Throws<StrictJsonException>(() => StrictJson.Deserialize<SettlementRequest>("{\"hospitalSettlementId\":\"" + new string('a', StrictJson.MaxString + 1) + "\"}"));
        Assert.Throws<StrictJsonException>(() => StrictJson.Deserialize<SettlementRequest>("{\"encounter\":{\"diagnoses\":[" + string.Join(",", Enumerable.Repeat("\"I10\"", StrictJson.MaxArray + 1)) + "]}}"));
        Assert.Throws<StrictJsonException>(() => StrictJson.Deserialize<SettlementRequest>(new string('[', 40) + new string(']', 40)));
        Assert.True(Assert.Throws<StrictJsonException>(() => StrictJson.DecodeUtf8(System.Text.Encoding.Unicode.GetBytes("{}"))).NotUtf8);
        Assert.True(Assert.Throws<StrictJsonException>(() => StrictJson.DecodeUtf8([0x7B, 0xC3, 0x28, 0x7D])).NotUtf8);
        Assert.Equal("{\"a\":\"é\"}", StrictJson.DecodeUtf8(System.Text.Encoding.UTF8.GetBytes("{\"a\":\"é\"}")));
    }

    [Theory]
    [InlineData("encounter.lines[0].itemCode", "/encounter/lines/0/itemCode")]
    [InlineData("['a/b'].c", "/a~1b/c")]
    [InlineData("", "")]
    public void Paths_become_json_pointers(string path, string pointer) => Assert.Equal(pointer, StrictJson.Pointer(path));
}
