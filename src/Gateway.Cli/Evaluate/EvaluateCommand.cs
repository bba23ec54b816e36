using System.CommandLine;
using System.Globalization;
using Gateway.Domain;
using Spectre.Console;

namespace Gateway.Cli.Evaluate;

/// <summary>
/// <c>gateway evaluate --input FILE [--pack FILE] [--compare-pack FILE] [--catalog FILE] [--out FILE]</c>: the policy
/// what-if. No storage, no network: the engine the gateway uses, on a stream of scenarios.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var input = new Option<FileInfo>("--input") { Description = "Scenarios: a JSON document {catalog, scenarios} or JSON Lines (.jsonl) of scenarios.", Required = true };
        var pack = new Option<FileInfo?>("--pack") { Description = "Evaluate the scenarios of this pack's home region with it (others, and the default: the home region's seed pack for the service date)." };
        var compare = new Option<FileInfo?>("--compare-pack") { Description = "Also evaluate the scenarios of this pack's home region with it and report the difference per fund and the budget impact." };
        var catalog = new Option<FileInfo?>("--catalog") { Description = "The catalog (item code → class...), required with JSON Lines input." };
        var output = new Option<FileInfo?>("--out") { Description = "Write the results and the summary as JSON to this file." };
        var brief = new Option<bool>("--brief") { Description = "Leave the per-line explanation out of the JSON." };
        var audit = new Option<DirectoryInfo?>("--audit") { Description = "Also report which audit rules of this directory (national.json and {region}.json, e.g. audit/ or a draft) would fire on the batch." };
        var command = new Command("evaluate", "Evaluate scenarios offline against a rule pack (policy what-if).") { input, pack, compare, catalog, output, brief, audit };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(input)!, parse.GetValue(pack), parse.GetValue(compare), parse.GetValue(catalog), parse.GetValue(output), parse.GetValue(brief), Console.Out, Console.Error, parse.GetValue(audit))));
        return command;
    }

    public static int Run(FileInfo input, FileInfo? packFile, FileInfo? compareFile, FileInfo? catalogFile, FileInfo? outFile, bool brief, TextWriter stdout, TextWriter stderr,
        DirectoryInfo? auditDirectory = null)
    {
        RulePack? basePack, comparePack;
        AuditWhatIf? audit = null;
        try
        {
            if (auditDirectory is not null) audit = new AuditWhatIf(AuditRuleSet.LoadDirectory(auditDirectory.FullName));
        }
        catch (Exception e) when (e is AuditRuleFormatException or IOException)
        {
            stderr.WriteLine(e.Message);
            return 2;
        }
        Dictionary<string, CatalogItem>? items = null;
        try
        {
            basePack = packFile is null ? null : RulePackLoader.Load(File.ReadAllText(packFile.FullName), packFile.FullName);
            comparePack = compareFile is null ? null : RulePackLoader.Load(File.ReadAllText(compareFile.FullName), compareFile.FullName);
            if (catalogFile is not null) items = ScenarioSource.LoadCatalog(catalogFile.FullName);
        }
        catch (Exception e) when (e is RulePackFormatException or CatalogFormatException or IOException or Newtonsoft.Json.JsonException)
        {
            stderr.WriteLine(e is Newtonsoft.Json.JsonException ? $"{catalogFile?.FullName}: not a usable catalog: {e.Message}" : e.Message);
            return 2;
        }
        var jsonLines = input.Extension is ".jsonl" or ".ndjson" || (items is not null && LooksLikeJsonLines(input.FullName));
        if (jsonLines && items is null)
        {
            stderr.WriteLine("JSON Lines input needs --catalog FILE.");
            return 2;
        }
        using var reader = new StreamReader(input.FullName, System.Text.Encoding.UTF8, true, 1 << 16);
        var source = new ScenarioSource(reader, jsonLines, items);
        using var outText = outFile is null ? TextWriter.Null : new StreamWriter(outFile.FullName, false, new System.Text.UTF8Encoding(false), 1 << 16);
        using var writer = new OutcomeWriter(outText, !brief, comparePack is not null);
        EvaluationRun? run = null;
        var shown = new List<ScenarioOutcome>();
        var errors = 0;
        var interactive = !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out);
        void Loop(Action<int>? progress)
        {
            foreach (var s in source.Read())
            {
                run ??= new EvaluationRun(null, basePack, comparePack, source.Catalog ?? throw new InvalidDataException("No catalog: give one in the input or with --catalog."));
                var outcome = run.Evaluate(s);
                writer.Write(outcome);
                audit?.Check(outcome, run);
                if (outcome.Failed)
                {
                    errors++;
                    if (errors <= 100) stderr.WriteLine($"scenario '{outcome.Input.Id}': {outcome.ErrorPath}: {outcome.Error}");
                }
                if (shown.Count < 30) shown.Add(outcome);
                progress?.Invoke(run.Evaluated + run.Failed);
            }
        }
        try
        {
            if (interactive && input.Length > 5_000_000)
            {
                AnsiConsole.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask("evaluating", maxValue: input.Length);
                    Loop(n => { if (n % 1000 == 0) task.Value = reader.BaseStream.Position; });
                    task.Value = input.Length;
                });
            }
            else Loop(null);
        }
        catch (Exception e) when (e is InvalidDataException or CatalogFormatException or Newtonsoft.Json.JsonException)
        {
            // The input as a whole is unusable (its catalog, or JSON that cannot be read past): no half-written output.
            stderr.WriteLine(e.Message);
            writer.Dispose();
            outText.Dispose();
            if (outFile is not null) File.Delete(outFile.FullName);
            return 2;
        }
        run ??= new EvaluationRun(null, basePack, comparePack, source.Catalog ?? []);
        writer.Finish(run);
        Report(run, shown, comparePack is not null, stdout);
        if (audit is not null) ReportAudit(audit, stdout);
        return run.Failed > 0 ? 1 : 0;
    }

    private static bool LooksLikeJsonLines(string file)
    {
        using var r = new StreamReader(file);
        var first = r.ReadLine()?.Trim() ?? "";
        return first.StartsWith('{') && first.EndsWith('}') && first.Contains("\"id\"", StringComparison.Ordinal);
    }

    private static string M(decimal d) => d.ToString("#,##0.00", CultureInfo.InvariantCulture);

    private static void Report(EvaluationRun run, List<ScenarioOutcome> shown, bool compare, TextWriter stdout)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout), Ansi = ReferenceEquals(stdout, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No });
        var ok = shown.Where(o => !o.Failed).ToList();
        if (ok.Count > 0)
        {
            var t = new Table().Title(ok.Count < run.Evaluated ? $"first {ok.Count} scenarios" : "scenarios");
            t.AddColumn("id").AddColumn("home").AddColumn(new TableColumn("total").RightAligned()).AddColumn(new TableColumn("funds").RightAligned())
             .AddColumn(new TableColumn("account").RightAligned()).AddColumn(new TableColumn("cash").RightAligned());
            if (compare) t.AddColumn(new TableColumn("Δ funds").RightAligned()).AddColumn(new TableColumn("Δ cash").RightAligned());
            foreach (var o in ok)
            {
                var s = o.Base!.Split;
                var row = new List<string> { Markup.Escape(o.Input.Id), o.Input.Scenario!.Member.HomeRegion.Value, M(s.Total), M(s.FundTotal), M(s.AccountPay), M(s.CashPay) };
                if (compare && o.Compare is { } c) { row.Add(M(c.Split.FundTotal - s.FundTotal)); row.Add(M(c.Split.CashPay - s.CashPay)); }
                else if (compare) { row.Add("—"); row.Add("—"); } // another home region: not the compare pack's members
                t.AddRow(row.ToArray());
            }
            console.Write(t);
        }
        console.Write(Vertical($"summary: {run.Evaluated} evaluated, {run.Failed} failed", run.Base, r => r.Fields().ToList(), run.Base.ToDictionary(kv => kv.Key, kv => kv.Value.Count)));
        if (compare)
        {
            var impact = run.Base.Where(kv => run.Compared.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key,
                kv => kv.Value.Fields().Zip(run.Compared[kv.Key].Fields(), (b, c) => (b.Field, c.Value - b.Value)).ToList());
            var table = new Table().Title("budget impact of the compare pack (compare − base)").AddColumn("fund");
            foreach (var region in impact.Keys) table.AddColumn(new TableColumn(region).RightAligned());
            foreach (var field in new RegionSummary().Fields().Select(f => f.Field))
                table.AddRow([field, .. impact.Values.Select(v => M(v.Single(x => x.Field == field).Item2))]);
            console.Write(table);
        }
    }

    private static void ReportAudit(AuditWhatIf audit, TextWriter stdout)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout), Ansi = ReferenceEquals(stdout, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No });
        var t = new Table().Title($"audit: {audit.Checked} checked, {audit.Blocked} would be blocked, {audit.Flagged} flagged")
            .AddColumn("rule").AddColumn("kind").AddColumn("outcome").AddColumn(new TableColumn("scenarios").RightAligned()).AddColumn("first");
        foreach (var (rule, (kind, outcome, count, first)) in audit.Fired)
            t.AddRow(Markup.Escape(rule), kind, outcome, count.ToString(CultureInfo.InvariantCulture), Markup.Escape(string.Join(", ", first)));
        console.Write(t);
    }

    private static Table Vertical(string title, SortedDictionary<string, RegionSummary> regions, Func<RegionSummary, List<(string Field, decimal Value)>> fields, Dictionary<string, int> counts)
    {
        var table = new Table().Title(title).AddColumn("home region");
        foreach (var region in regions.Keys) table.AddColumn(new TableColumn(region).RightAligned());
        table.AddRow(["count", .. regions.Keys.Select(r => counts[r].ToString(CultureInfo.InvariantCulture))]);
        foreach (var field in new RegionSummary().Fields().Select(f => f.Field))
            table.AddRow([field, .. regions.Values.Select(s => M(fields(s).Single(x => x.Field == field).Value))]);
        return table;
    }
}
