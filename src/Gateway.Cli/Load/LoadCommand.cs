using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Cli.Verify;
using Gateway.Contracts;
using Gateway.Storage;
using Newtonsoft.Json.Linq;
using Spectre.Console;

namespace Gateway.Cli.Load;

/// <summary>
/// <c>gateway load --hospitals 64 --settlements 5000</c>: a bounded load run against a local gateway (loopback only):
/// throughput, latency percentiles (submit → completed split, Prefer: wait), errors by type, storage round-trips per
/// settlement (counted in the handler's Azure SDK pipeline, read from /api/v1/diagnostics), the raw Azurite baseline for the
/// same mix of operations, the ratio, and finally the ledger verification.
/// </summary>
public static class LoadCommand
{
    private static readonly (string Hospital, string Home, string Member)[] Combos =
    [
        ("H440300001", "511300", "M511300001"), ("H440300002", "441900", "M441900001"), ("H511300001", "440300", "M440300001"),
        ("H350200001", "511300", "M511300002"), ("H441900001", "350200", "M350200002"), ("H440300003", "350200", "M350200001"),
        ("H511300002", "441900", "M441900002"), ("H350200002", "440300", "M440300002"), ("H441900002", "511300", "M511300001"),
    ];

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The gateway (loopback only).", DefaultValueFactory = _ => "http://127.0.0.1:7071" };
        var hospitals = new Option<int>("--hospitals") { Description = "Concurrent hospitals.", DefaultValueFactory = _ => 64 };
        var settlements = new Option<int>("--settlements") { Description = "Settlements to submit (≤ 100,000).", DefaultValueFactory = _ => 5000 };
        var limit = new Option<int>("--time-limit") { Description = "Stop after this many seconds.", DefaultValueFactory = _ => 600 };
        var storage = new Option<string?>("--storage") { Description = "The gateway's storage connection (default: written by ./gateway up to .tools/run/connection)." };
        var keys = new Option<string>("--keys") { Description = "Demo keys file.", DefaultValueFactory = _ => "data/demo/keys.json" };
        var members = new Option<int>("--members") { Description = "Register this many synthetic members first (spread over the four regions) so settlements do not all hit the nine demo members; 0 = demo members only.", DefaultValueFactory = _ => 2000 };
        var duration = new Option<string?>("--duration") { Description = "Open loop for this long (e.g. 2h, 30m, 900s): --settlements becomes rate × duration. Needs --rate." };
        var reportEvery = new Option<string?>("--report-every") { Description = "A report line per block: a time (10m, the default with --duration) or a count of settlements (10000, the default otherwise)." };
        var hostile = new Option<double>("--hostile-rate") { Description = "Also send this many hostile requests per second (bad signatures, malformed and oversize bodies, unknown members, cancels racing their submissions, callbacks to a host that does not answer); each must be answered 4xx (or, for the racing cancel, 409/202), never 5xx.", DefaultValueFactory = _ => 0 };
        var rate = new Option<double>("--rate") { Description = "Open loop: offer this many settlements per second in all, spread over the hospitals (at most --hospitals in flight); latency is measured from each request's scheduled start. 0 = closed loop: every hospital submits its next settlement as soon as the last one answered (saturation).", DefaultValueFactory = _ => 0 };
        var command = new Command("load", "Bounded load run against the local gateway, with the storage baseline and the ledger verification.")
            { url, hospitals, settlements, limit, storage, keys, members, rate, duration, reportEvery, hostile };
        command.SetAction(async (parse, ct) =>
        {
            var offered = Math.Clamp(parse.GetValue(rate), 0, 10_000);
            var count = Math.Clamp(parse.GetValue(settlements), 1, 100_000);
            var timeLimit = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(limit), 10, 3600));
            LoadBlock? block = null;
            if (parse.GetValue(duration) is { } d)
            {
                if (offered <= 0 || ParseSpan(d) is not { } span || span > TimeSpan.FromHours(24)) { Console.Error.WriteLine("--duration needs --rate and a time ≤ 24h (2h, 30m, 900s)."); return 2; }
                count = (int)Math.Min(5_000_000, Math.Ceiling(offered * span.TotalSeconds));
                timeLimit = span + TimeSpan.FromMinutes(2);
                block = new LoadBlock(ParseSpan("10m"), null);
            }
            if (parse.GetValue(reportEvery) is { } every)
            {
                block = ParseSpan(every) is { } t ? new LoadBlock(t, null)
                    : int.TryParse(every, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? new LoadBlock(null, n)
                    : null;
                if (block is null) { Console.Error.WriteLine("--report-every is a time (10m) or a count (10000)."); return 2; }
            }
            block ??= count > 10_000 ? new LoadBlock(null, 10_000) : null;
            return await RunAsync(parse.GetValue(url)!, Math.Clamp(parse.GetValue(hospitals), 1, 512), count, timeLimit, parse.GetValue(storage), parse.GetValue(keys)!,
                Math.Clamp(parse.GetValue(members), 0, 100_000), offered, block, Math.Clamp(parse.GetValue(hostile), 0, 100), ct);
        });
        return command;
    }

    /// <summary>How the run is cut into report blocks: every <c>Every</c> of wall time, or every <c>Count</c> settlements.</summary>
    

    private static TimeSpan? ParseSpan(string s)
    {
        if (s.Length < 2 || !double.TryParse(s.AsSpan(0, s.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v <= 0) return null;
        return s[^1] switch { 'h' => TimeSpan.FromHours(v), 'm' => TimeSpan.FromMinutes(v), 's' => TimeSpan.FromSeconds(v), _ => null };
    }

    /// <summary>How many times one settlement is sent again after admission control shed it.</summary>
    private const int MaxShedRetries = 8;

    /// <summary>The four seed regions, in the order synthetic members are spread over them (member i is of region i % 4).</summary>
    private static readonly string[] Regions = ["440300", "441900", "511300", "350200"];

    private static readonly (string Hospital, string Home)[] Routes =
    [
        ("H440300001", "511300"), ("H440300002", "441900"), ("H511300001", "440300"), ("H350200001", "511300"), ("H441900001", "350200"),
        ("H440300003", "350200"), ("H511300002", "441900"), ("H350200002", "440300"), ("H441900002", "511300"),
    ];

    /// <summary>Synthetic members LM{region}{n}: residents and employees, filed for every other region, no accumulators yet.</summary>
    private static async Task RegisterMembersAsync(string storage, int count, CancellationToken ct)
    {
        var store = new MemberStore(new GatewayStorage(storage));
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) =>
        {
            var home = Gateway.Domain.RegionCode.Parse(Regions[i % 4]);
            var filings = Regions.Where(r => r != home.Value).Select(r => new Gateway.Domain.Filing(Gateway.Domain.RegionCode.Parse(r), new DateOnly(2026, 1, 1), null)).ToList();
            await store.UpsertProfileAsync(new Gateway.Domain.MemberProfile($"LM{home}{i / 4:D6}", home, i % 3 == 0 ? Gateway.Domain.InsuranceType.Employee : Gateway.Domain.InsuranceType.Resident,
                i % 7 == 0, new DateOnly(1950 + i % 60, 1 + i % 12, 1 + i % 28), 1 + i % 20, Gateway.Domain.AssistanceCategory.None, i % 2 == 0, [], filings, 500m, Gateway.Domain.MemberStatus.Active), token);
        });
    }

    private static async Task<int> RunAsync(string url, int hospitals, int count, TimeSpan limit, string? storage, string keysFile, int syntheticMembers, double rate,
        LoadBlock? block, double hostileRate, CancellationToken ct)
    {
        var baseUri = new Uri(url);
        if (!baseUri.IsLoopback) { Console.Error.WriteLine("load runs against a loopback gateway only."); return 2; }
        storage ??= LocalGateway.StorageConnection();
        var secrets = Newtonsoft.Json.JsonConvert.DeserializeObject<Dictionary<string, string>>(File.ReadAllText(keysFile))!;
        var template = File.ReadAllText("data/demo/settlement-A.json");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = hospitals * 2 }) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
        if (syntheticMembers > 0 && storage is null) { Console.Error.WriteLine("--members needs the storage connection (--storage or ./gateway up's .tools/run/connection)."); return 2; }
        if (syntheticMembers > 0) await RegisterMembersAsync(storage!, syntheticMembers, ct);
        var before = await RoundTripsAsync(http, ct);
        var latencies = new ConcurrentBag<double>();
        var blocks = new BlockReporter(block);
        var errors = new ConcurrentDictionary<string, int>();
        var done = 0;
        var shedRetries = 0;
        var run = $"L{TimeProvider.System.GetUtcNow().UtcDateTime:HHmmss}";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(limit);
        var clock = Stopwatch.StartNew();

        // One settlement: i picks the hospital, the home region and the member; latency runs from `started` (the
        // scheduled start in the open loop, so a request that had to wait for a free hospital counts its wait).
        async Task SendOne(int i, long started)
        {
            var (hospital, home, member) = Combos[i % Combos.Length];
            if (syntheticMembers > 0)
            {
                (hospital, home) = Routes[i % Routes.Length];
                var slot = (i * 7919) % syntheticMembers;                  // spread over the members of that home region
                var index = slot - slot % 4 + Array.IndexOf(Regions, home);
                member = $"LM{home}{index / 4:D6}";
            }
            var body = template.Replace("__ID__", $"{run}-{i}", StringComparison.Ordinal).Replace("\"511300\"", $"\"{home}\"", StringComparison.Ordinal).Replace("M511300001", member, StringComparison.Ordinal);
            var bytes = Encoding.UTF8.GetBytes(body);
            try
            {
                // A write shed at the door (503 + Retry-After, nothing recorded) is retried as an integrator's client
                // does: the same body (the same settlement id), signed afresh, after the wait it was given.
                for (var attempt = 0; ; attempt++)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/settlements") { Content = new ByteArrayContent(bytes) };
                    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    foreach (var (n, v) in RequestSigning.Headers("k-" + hospital, secrets["k-" + hospital], "POST", "/api/v1/settlements", bytes, TimeProvider.System.GetUtcNow()))
                        request.Headers.TryAddWithoutValidation(n, v);
                    request.Headers.TryAddWithoutValidation("Prefer", "wait=20");
                    using var response = await http.SendAsync(request, stop.Token);
                    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if ((int)response.StatusCode == 201)
                    {
                        blocks.Record(201, ms);
                        latencies.Add(ms);
                        break;
                    }
                    var text = await response.Content.ReadAsStringAsync(stop.Token);
                    if ((int)response.StatusCode == 503 && response.Headers.RetryAfter?.Delta is { } wait && attempt < MaxShedRetries
                        && text.Contains("refused until it catches up", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref shedRetries);
                        blocks.RecordShed();
                        await Task.Delay(wait < TimeSpan.FromSeconds(10) ? wait : TimeSpan.FromSeconds(10), stop.Token);
                        continue;
                    }
                    blocks.Record((int)response.StatusCode, ms);
                    var type = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? (string?)JObject.Parse(text)["type"] : null;
                    errors.AddOrUpdate($"{(int)response.StatusCode} {type?.Replace("https://gateway.example.org/problems/", "", StringComparison.Ordinal)}", 1, (_, n) => n + 1);
                    break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                errors.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
                blocks.Record(0, 0);
            }
            Interlocked.Increment(ref done);
            blocks.MaybeReport();
        }

        async Task Worker(int worker)
        {
            for (var i = worker; i < count && !stop.IsCancellationRequested; i += hospitals)
                await SendOne(i, Stopwatch.GetTimestamp());
        }

        async Task OpenLoop()
        {
            var inFlight = new SemaphoreSlim(hospitals);
            var running = new List<Task>(count);
            var origin = Stopwatch.GetTimestamp();
            for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
            {
                var due = origin + (long)(i / rate * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    try { await Task.Delay(wait, stop.Token); }
                    catch (OperationCanceledException) { break; }
                }
                try { await inFlight.WaitAsync(stop.Token); }
                catch (OperationCanceledException) { break; }
                var n = i;
                running.Add(Task.Run(async () =>
                {
                    try { await SendOne(n, due); }
                    finally { inFlight.Release(); }
                }, CancellationToken.None));
            }
            await Task.WhenAll(running);
        }

        var interactive = !Console.IsOutputRedirected && block is null;
        var workers = rate > 0
            ? [Task.Run(OpenLoop, CancellationToken.None)]
            : Enumerable.Range(0, hospitals).Select(w => Task.Run(() => Worker(w), CancellationToken.None)).ToArray();
        var hostileRun = hostileRate > 0
            ? Task.Run(() => HostileLoad.RunAsync(http, secrets, template, run, hostileRate, workers, stop.Token), CancellationToken.None)
            : Task.FromResult(new HostileLoad.Result(0, 0, new Dictionary<string, int>()));
        var ticker = block?.Every is not null
            ? Task.Run(async () => { while (!Task.WhenAll(workers).IsCompleted) { await Task.Delay(1000, CancellationToken.None); blocks.MaybeReport(); } }, CancellationToken.None)
            : Task.CompletedTask;
        if (interactive)
        {
            await AnsiConsole.Progress().StartAsync(async ctx =>
            {
                var task = ctx.AddTask(rate > 0 ? $"settling ({hospitals} hospitals, {rate:0.#}/s offered)" : $"settling ({hospitals} hospitals)", maxValue: count);
                while (!Task.WhenAll(workers).IsCompleted) { task.Value = done; await Task.Delay(200, CancellationToken.None); }
                task.Value = done;
            });
        }
        await Task.WhenAll(workers);
        await ticker;
        blocks.Report(final: true);
        var hostileResult = await hostileRun;
        var elapsed = clock.Elapsed;
        var after = await RoundTripsAsync(http, ct);
        var ok = latencies.Count;
        var sorted = latencies.OrderBy(x => x).ToArray();
        double P(double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        var throughput = ok / elapsed.TotalSeconds;
        var trips = ok == 0 ? 0 : (after - before) / (double)done;

        var mode = rate > 0 ? $"open loop, {rate:0.#}/s offered" : "closed loop";
        Console.WriteLine($"gateway ({hospitals} hospitals, {mode}): {ok}/{done} completed in {elapsed.TotalSeconds:0.0} s, {throughput:0.0}/s, p50/p95/p99 {P(0.50):0}/{P(0.95):0}/{P(0.99):0} ms, {trips:0.00} storage round-trips per settlement");
        double? baseline = null;
        if (storage is not null && trips > 0) baseline = await BaselineAsync(storage, hospitals, (int)Math.Round(trips), Math.Min(count, 2000), ct);

        var table = new Table().Title($"load ({hospitals} hospitals, {mode}): {done} submitted, {ok} completed in {elapsed.TotalSeconds:0.0} s").AddColumns("figure", "value");
        table.AddRow("throughput (completed settlements/s)", throughput.ToString("0.0", CultureInfo.InvariantCulture));
        table.AddRow("latency p50 / p95 / p99 (ms, submit → split)", $"{P(0.50):0} / {P(0.95):0} / {P(0.99):0}");
        table.AddRow("storage round-trips per settlement (handler pipeline)", trips.ToString("0.00", CultureInfo.InvariantCulture));
        if (baseline is { } b)
        {
            table.AddRow("raw Azurite: same table round-trips + 2 queue hops (settlement-equivalents/s)", b.ToString("0.0", CultureInfo.InvariantCulture));
            table.AddRow("gateway / storage-bound limit", (throughput / b).ToString("0.00", CultureInfo.InvariantCulture));
        }
        table.AddRow("writes shed at the door (503 + Retry-After) and sent again", shedRetries.ToString(CultureInfo.InvariantCulture));
        foreach (var (k, v) in errors.OrderByDescending(e => e.Value)) table.AddRow("error: " + Markup.Escape(k), v.ToString(CultureInfo.InvariantCulture));
        if (hostileRate > 0)
        {
            table.AddRow("hostile requests sent / answered as expected", $"{hostileResult.Sent} / {hostileResult.Expected}");
            foreach (var (k, v) in hostileResult.Unexpected.OrderByDescending(e => e.Value)) table.AddRow("hostile, unexpected: " + Markup.Escape(k), v.ToString(CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);

        if (storage is not null)
        {
            await Task.Delay(2000, ct); // let the last replies post
            var results = await VerifyCommand.RunAsync(storage, ct);
            foreach (var r in results) Console.WriteLine($"verify: {(r.Holds ? "holds" : "VIOLATED")}: {r.Name} ({r.Checked} checked){(r.Holds ? "" : ": " + string.Join("; ", r.Violations))}");
            if (results.Any(r => !r.Holds)) return 1;
        }
        return errors.IsEmpty && hostileResult.Unexpected.Count == 0 ? 0 : 1;
    }

    /// <summary>The handler's storage round-trips so far, from its diagnostics (the demo reader's credential: load runs target ./gateway up).</summary>
    private static async Task<long> RoundTripsAsync(HttpClient http, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/diagnostics");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Environment.GetEnvironmentVariable("GATEWAY_DIAGNOSTICS_USER") ?? "reader:reader-demo")));
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) return 0;
        return (long?)JObject.Parse(await response.Content.ReadAsStringAsync(ct))["storageRoundTrips"] ?? 0;
    }

    /// <summary>
    /// The storage-bound limit: per settlement, the table round-trips the handler made (rounded, as a mix shaped like
    /// the write path: entity-group transactions, a partition query, point reads) plus the queue work of its two hops
    /// (evaluation request and reply: a send and a delete each, received in batches of 32 as the host does), at the same
    /// concurrency, straight against Azurite.
    /// Returns settlement-equivalents per second.
    /// </summary>
    private static async Task<double> BaselineAsync(string connection, int concurrency, int tableOpsPerSettlement, int settlements, CancellationToken ct)
    {
        var tables = new TableServiceClient(connection);
        var table = tables.GetTableClient($"LoadBaseline{TimeProvider.System.GetUtcNow().UtcDateTime:HHmmssfff}");
        await table.CreateIfNotExistsAsync(ct);
        var queue = new QueueServiceClient(connection, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None }).GetQueueClient($"load-baseline-{TimeProvider.System.GetUtcNow().UtcDateTime:HHmmssfff}");
        await queue.CreateIfNotExistsAsync(cancellationToken: ct);
        var body = new string('x', 2048); // about the size of an evaluation request
        var clock = Stopwatch.StartNew();
        // The receiving side as the host does it, alongside the senders: batches of up to 32, each message deleted once handled.
        var deleted = 0;
        var receivers = Enumerable.Range(0, Math.Max(2, concurrency / 8)).Select(_ => Task.Run(async () =>
        {
            var idle = 5;
            while (Volatile.Read(ref deleted) < 2 * settlements && !ct.IsCancellationRequested)
            {
                var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), ct)).Value;
                // An empty queue is polled with the host's back-off (5 → 200 ms), not hammered.
                if (batch.Length == 0) { await Task.Delay(idle, ct); idle = Math.Min(200, idle * 2); continue; }
                idle = 5;
                await Task.WhenAll(batch.Select(async m =>
                {
                    try { await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct); Interlocked.Increment(ref deleted); }
                    catch (Azure.RequestFailedException) { }
                }));
            }
        }, ct)).ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, settlements), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (i, token) =>
        {
            var pk = $"p{i}";
            for (var op = 0; op < tableOpsPerSettlement; op++)
            {
                switch (op % 4)
                {
                    case 0 or 3:
                        await table.SubmitTransactionAsync([
                            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(pk, $"t{op}a") { ["V"] = body }),
                            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(pk, $"t{op}b") { ["V"] = "y" })], token);
                        break;
                    case 1: await foreach (var _ in table.QueryAsync<TableEntity>(e => e.PartitionKey == pk, cancellationToken: token)) { } break;
                    default: await table.UpsertEntityAsync(new TableEntity(pk, "r0") { ["V"] = body }, TableUpdateMode.Merge, token); break;
                }
            }
            for (var hop = 0; hop < 2; hop++) await queue.SendMessageAsync(body, token);
        });
        await Task.WhenAll(receivers);
        var rate = settlements / clock.Elapsed.TotalSeconds;
        await table.DeleteAsync(ct);
        await queue.DeleteIfExistsAsync(ct);
        return rate;
    }
}
