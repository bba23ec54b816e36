using System.Globalization;
using Gateway.Domain;
using Newtonsoft.Json;

namespace Gateway.Cli.Evaluate;

/// <summary>Streams the results as JSON: {"results": [...], "summary": {...}}; decimals as strings with two places.</summary>
public sealed class OutcomeWriter : IDisposable
{
    private readonly JsonTextWriter _w;
    private readonly bool _explain;
    private readonly bool _comparing;

    public OutcomeWriter(TextWriter text, bool explain, bool comparing = false)
    {
        _explain = explain;
        _comparing = comparing;
        _w = new JsonTextWriter(text) { Formatting = Formatting.None };
        _w.WriteStartObject();
        _w.WritePropertyName("results");
        _w.WriteStartArray();
    }

    private static string M(decimal d) => d.ToString("0.00", CultureInfo.InvariantCulture);

    private void Money(string name, decimal value)
    {
        _w.WritePropertyName(name);
        _w.WriteValue(M(value));
    }

    public void Write(ScenarioOutcome o)
    {
        _w.WriteStartObject();
        _w.WritePropertyName("id");
        _w.WriteValue(o.Input.Id);
        if (o.Failed)
        {
            _w.WritePropertyName("error");
            _w.WriteStartObject();
            _w.WritePropertyName("path");
            _w.WriteValue(o.ErrorPath);
            _w.WritePropertyName("problem");
            _w.WriteValue(o.Error);
            _w.WriteEndObject();
        }
        else
        {
            _w.WritePropertyName("homeRegion");
            _w.WriteValue(o.Input.Scenario!.Member.HomeRegion.Value);
            if (!_comparing) Result(o.Base!);
            else if (o.Compare is null)
            {
                // Compared only where the compare pack is the member's home region's policy.
                _w.WritePropertyName("base");
                _w.WriteStartObject();
                Result(o.Base!);
                _w.WriteEndObject();
                _w.WritePropertyName("compare");
                _w.WriteNull();
            }
            else
            {
                _w.WritePropertyName("base");
                _w.WriteStartObject();
                Result(o.Base!);
                _w.WriteEndObject();
                _w.WritePropertyName("compare");
                _w.WriteStartObject();
                Result(o.Compare);
                _w.WriteEndObject();
                _w.WritePropertyName("difference");
                _w.WriteStartObject();
                foreach (var (name, b, c) in Pairs(o.Base!.Split, o.Compare.Split)) Money(name, c - b);
                _w.WriteEndObject();
            }
        }
        _w.WriteEndObject();
    }

    public static IEnumerable<(string Name, decimal Base, decimal Compare)> Pairs(SettlementSplit b, SettlementSplit c) =>
    [
        ("deductible", b.Deductible, c.Deductible), ("basicFund", b.BasicFund, c.BasicFund), ("supplementaryFund", b.SupplementaryFund, c.SupplementaryFund),
        ("majorIllnessFund", b.MajorIllnessFund, c.MajorIllnessFund), ("assistanceFund", b.AssistanceFund, c.AssistanceFund),
        ("accountPay", b.AccountPay, c.AccountPay), ("cashPay", b.CashPay, c.CashPay), ("fundTotal", b.FundTotal, c.FundTotal),
    ];

    private void Result(SettlementResult r)
    {
        var s = r.Split;
        Money("total", s.Total);
        Money("fullSelfPay", s.FullSelfPay);
        Money("overLimitSelfPay", s.OverLimitSelfPay);
        Money("preSelfPay", s.PreSelfPay);
        Money("inScope", s.InScope);
        Money("deductible", s.Deductible);
        Money("basicFund", s.BasicFund);
        Money("supplementaryFund", s.SupplementaryFund);
        Money("majorIllnessFund", s.MajorIllnessFund);
        Money("assistanceFund", s.AssistanceFund);
        Money("accountPay", s.AccountPay);
        Money("cashPay", s.CashPay);
        Money("fundTotal", s.FundTotal);
        // §9: the parts of two funds paid by the newer rules (out-of-catalog items; the personal-burden ceiling).
        Money("majorIllnessOutOfCatalog", r.MajorIllnessOutOfCatalog);
        Money("burdenCeilingPaid", r.BurdenCeilingPaid);
        _w.WritePropertyName("ratio");
        _w.WriteValue(r.Ratio.ToString("0.00##", CultureInfo.InvariantCulture));
        _w.WritePropertyName("packId");
        _w.WriteValue(r.PackId);
        _w.WritePropertyName("packVersion");
        _w.WriteValue(r.PackVersion);
        var d = r.Delta;
        _w.WritePropertyName("accumulatorDeltas");
        _w.WriteStartObject();
        _w.WritePropertyName("admissions");
        _w.WriteValue(d.Admissions);
        Money("basicPaid", d.BasicPaid);
        Money("supplementaryPaid", d.SupplementaryPaid);
        Money("majorQualifying", d.MajorQualifying);
        Money("majorPaid", d.MajorPaid);
        Money("assistanceQualifying", d.AssistanceQualifying);
        Money("assistancePaid", d.AssistancePaid);
        Money("fundsPaid", d.FundsPaid);
        _w.WriteEndObject();
        if (!_explain) return;
        _w.WritePropertyName("explanation");
        _w.WriteStartArray();
        foreach (var step in r.Explain())
        {
            _w.WriteStartObject();
            _w.WritePropertyName("code");
            _w.WriteValue(step.Code);
            if (step.LineNo is { } n)
            {
                _w.WritePropertyName("lineNo");
                _w.WriteValue(n);
            }
            Money("amount", step.Amount);
            _w.WritePropertyName("text");
            _w.WriteValue(step.Text);
            _w.WriteEndObject();
        }
        _w.WriteEndArray();
    }

    public void Finish(EvaluationRun run)
    {
        _w.WriteEndArray();
        _w.WritePropertyName("summary");
        _w.WriteStartObject();
        _w.WritePropertyName("count");
        _w.WriteValue(run.Evaluated);
        _w.WritePropertyName("failed");
        _w.WriteValue(run.Failed);
        _w.WritePropertyName("byHomeRegion");
        _w.WriteStartObject();
        foreach (var (region, s) in run.Base)
        {
            _w.WritePropertyName(region);
            _w.WriteStartObject();
            _w.WritePropertyName("count");
            _w.WriteValue(s.Count);
            foreach (var (f, v) in s.Fields()) Money(f, v);
            if (run.Compared.TryGetValue(region, out var c))
            {
                _w.WritePropertyName("budgetImpact");
                _w.WriteStartObject();
                foreach (var ((f, b), (_, v)) in s.Fields().Zip(c.Fields())) Money(f, v - b);
                _w.WriteEndObject();
            }
            _w.WriteEndObject();
        }
        _w.WriteEndObject();
        _w.WriteEndObject();
        _w.WriteEndObject();
        _w.Flush();
    }

    public void Dispose() => ((IDisposable)_w).Dispose();
}
