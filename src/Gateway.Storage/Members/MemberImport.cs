using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Gateway.Contracts;
using Gateway.Domain;
using Newtonsoft.Json;

namespace Gateway.Storage;

/// <summary>One problem in an import file: the row (line number in the file, 1-based, header = 1 for CSV) and field.</summary>
public sealed record ImportError(int Line, string Field, string Problem);

public sealed record ImportResult(int Imported, IReadOnlyList<ImportError> Errors)
{
    public bool Ok => Errors.Count == 0;
}

/// <summary>
/// Imports a home region's member registry from CSV or JSON. Every row is validated first; a file with any bad
/// row writes nothing and reports every problem with its line. Writes are idempotent upserts of the profile
/// row, so re-running an interrupted import completes it. The account balance in a file seeds new members only: an
/// existing member keeps the live balance that settlements debit (see MemberStore.ImportProfileAsync).
/// </summary>
public sealed class MemberImport(MemberStore members, MemberCertificates? certificates = null)
{
    public const string CsvHeader = "memberId,homeRegion,insuranceType,retired,birthDate,continuousYears,assistanceCategory,majorIllnessEnrolled,accountBalance,status,specialDiseases,filings";

    public async Task<ImportResult> ImportAsync(RegionCode region, TextReader text, bool csv, CancellationToken ct)
    {
        var (rows, errors) = csv ? ParseCsv(text) : ParseJson(text);
        var valid = new List<MemberProfile>();
        var certified = new List<(MemberProfile Member, MemberDto Dto)>();
        foreach (var (line, dto) in rows)
        {
            var (member, problems) = dto.ToDomain();
            foreach (var (path, problem) in problems) errors.Add(new ImportError(line, path, problem));
            if (member is null) continue;
            if (dto.CertNo is not null)
            {
                if (certificates?.CanHash(region) != true) errors.Add(new ImportError(line, "certNo", $"no certificate key is configured for region {region}: certificate numbers cannot be kept"));
                else certified.Add((member, dto));
            }
            if (member.HomeRegion != region) errors.Add(new ImportError(line, "homeRegion", $"the import is for region {region}"));
            else valid.Add(member);
        }
        var duplicates = valid.GroupBy(m => m.MemberId).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        foreach (var (line, dto) in rows.Where(r => duplicates.Contains(r.Dto.MemberId ?? "")))
            errors.Add(new ImportError(line, "memberId", $"member {dto.MemberId} appears more than once"));
        if (errors.Count > 0) return new ImportResult(0, errors.OrderBy(e => e.Line).ToList());
        await Parallel.ForEachAsync(valid, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (m, token) => await members.ImportProfileAsync(m, token).ConfigureAwait(false)).ConfigureAwait(false);
        await Parallel.ForEachAsync(certified, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (c, token) => await certificates!.UpsertAsync(region, c.Member.MemberId, c.Dto.CertType ?? "01", c.Dto.CertNo!, c.Dto.Name, c.Dto.Gender, token).ConfigureAwait(false)).ConfigureAwait(false);
        return new ImportResult(valid.Count, []);
    }

    /// <summary>The most members one file holds (a region's registry export, in parts above this).</summary>
    public const int MaxMembers = 1_000_000;

    private static (List<(int Line, MemberDto Dto)>, List<ImportError>) ParseJson(TextReader text)
    {
        var rows = new List<(int, MemberDto)>();
        var errors = new List<ImportError>();
        // The strict reader's rules (docs/api.md): duplicate keys, sizes and control characters over the whole file first, then
        // each member with exact types; every problem is reported by line, in the caller's terms.
        var all = text.ReadToEnd();
        try
        {
            StrictJson.Scan(all, MaxMembers);
        }
        catch (StrictJsonException e)
        {
            errors.Add(new ImportError(1, e.Pointer.Length == 0 ? "$" : e.Pointer.TrimStart('/'), e.Message));
            return (rows, errors);
        }
        using var reader = new JsonTextReader(new StringReader(all)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
        try
        {
            if (!reader.Read() || reader.TokenType != JsonToken.StartArray)
            {
                errors.Add(new ImportError(1, "$", "a JSON array of members is expected"));
                return (rows, errors);
            }
            while (reader.Read() && reader.TokenType != JsonToken.EndArray)
            {
                var line = reader.LineNumber;
                // Read the element whole first, so a bad field does not derail the rest of the stream.
                var element = Newtonsoft.Json.Linq.JToken.ReadFrom(reader);
                try { rows.Add((line, StrictJson.Deserialize<MemberDto>(element.ToString(Formatting.None)))); }
                catch (StrictJsonException e) { errors.Add(new ImportError(line, e.Pointer.Length == 0 ? "$" : e.Pointer.TrimStart('/'), e.Message)); }
            }
        }
        catch (JsonReaderException e)
        {
            errors.Add(new ImportError(e.LineNumber, e.Path ?? "$", "not valid JSON"));
        }
        return (rows, errors);
    }

    private static (List<(int Line, MemberDto Dto)>, List<ImportError>) ParseCsv(TextReader text)
    {
        var rows = new List<(int, MemberDto)>();
        var errors = new List<ImportError>();
        using var csv = new CsvReader(text, new CsvConfiguration(CultureInfo.InvariantCulture) { TrimOptions = TrimOptions.Trim, BadDataFound = null });
        if (!csv.Read() || !csv.ReadHeader())
        {
            errors.Add(new ImportError(1, "header", "the header row is missing: " + CsvHeader));
            return (rows, errors);
        }
        var missing = CsvHeader.Split(',').Where(h => !csv.HeaderRecord!.Contains(h)).ToList();
        if (missing.Count > 0)
        {
            errors.Add(new ImportError(1, "header", "missing columns: " + string.Join(", ", missing)));
            return (rows, errors);
        }
        while (csv.Read())
        {
            var line = csv.Parser.RawRow;
            string F(string name) => csv.GetField(name) ?? "";
            var rowErrors = new List<ImportError>();
            bool Bool(string name)
            {
                var v = F(name);
                if (v.Length == 0) return false;
                if (bool.TryParse(v, out var b)) return b;
                rowErrors.Add(new ImportError(line, name, "true or false"));
                return false;
            }
            T? Parse<T>(string name, Func<string, (bool, T)> parse) where T : struct
            {
                var v = F(name);
                if (v.Length == 0) return null;
                var (ok, value) = parse(v);
                if (!ok) rowErrors.Add(new ImportError(line, name, "not a valid " + typeof(T).Name));
                return ok ? value : null;
            }
            DateOnly? Date(string v) => DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
            List<(string, DateOnly?, DateOnly?)> Triples(string name)
            {
                var list = new List<(string, DateOnly?, DateOnly?)>();
                foreach (var part in F(name).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var p = part.Split(':');
                    if (p.Length != 3 || Date(p[1]) is null || (p[2].Length > 0 && Date(p[2]) is null)) { rowErrors.Add(new ImportError(line, name, $"'{part}' is not code:yyyy-MM-dd:[yyyy-MM-dd]")); continue; }
                    list.Add((p[0], Date(p[1]), p[2].Length > 0 ? Date(p[2]) : null));
                }
                return list;
            }
            var dto = new MemberDto
            {
                MemberId = F("memberId"),
                HomeRegion = F("homeRegion"),
                InsuranceType = F("insuranceType"),
                Retired = Bool("retired"),
                BirthDate = Parse("birthDate", v => (Date(v) is not null, Date(v) ?? default)),
                ContinuousYears = Parse("continuousYears", v => (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var y), y)) ?? 0,
                AssistanceCategory = F("assistanceCategory") is { Length: > 0 } a ? a : null,
                MajorIllnessEnrolled = Bool("majorIllnessEnrolled"),
                AccountBalance = Parse("accountBalance", v => (decimal.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d), d)) ?? 0m,
                Status = F("status") is { Length: > 0 } s ? s : null,
                SpecialDiseases = Triples("specialDiseases").Select(t => new SpecialDiseaseDto { Code = t.Item1, ValidFrom = t.Item2, ValidTo = t.Item3 }).ToList(),
                Filings = Triples("filings").Select(t => new FilingDto { TreatmentRegion = t.Item1, ValidFrom = t.Item2, ValidTo = t.Item3 }).ToList(),
            };
            errors.AddRange(rowErrors);
            rows.Add((line, dto));
        }
        return (rows, errors);
    }
}
