using System.Globalization;
using System.Text.RegularExpressions;
using Gateway.Contracts;
using Newtonsoft.Json.Linq;

namespace Gateway.Handler.National;

/// <summary>
/// A business refusal on the national interface: answered HTTP 200 with <c>infcode -1</c> and <c>err_msg</c>
/// "<see cref="Type"/>: <see cref="Detail"/>" (the type is a problem type of docs/api.md, or one of docs/national.md).
/// </summary>
public sealed class NationalRefusal(string type, string detail) : Exception($"{type}: {detail}")
{
    public string Type { get; } = type;
    public string Detail { get; } = detail;

    /// <summary>Not recorded under the msgid: the answer is not final yet (the same msgid asks again).</summary>
    public bool Transient { get; init; }

    public static NationalRefusal Invalid(string pointer, string detail) => new("validation-error", $"{pointer}: {detail}");
}

/// <summary>Reading and checking national fields: strict input types, lengths, forms, the national date-time.</summary>
public static partial class NationalFields
{
    public const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    public const int MaxText = 200;
    public const int MaxDiagnoses = 20;

    [GeneratedRegex(@"^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,8})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Icd10();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ItemCode();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$", RegexOptions.CultureInvariant)]
    private static partial Regex DiseaseCode();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,30}$", RegexOptions.CultureInvariant)]
    private static partial Regex LineSn();

    /// <summary>The transaction's input object read strictly into <typeparamref name="T"/> (unknown fields, wrong types refused).</summary>
    public static T Read<T>(JObject? input)
    {
        if (input is null) throw NationalRefusal.Invalid("/input", "Required: the transaction's input object.");
        try
        {
            return StrictJson.Deserialize<T>(input.ToString(Newtonsoft.Json.Formatting.None));
        }
        catch (StrictJsonException e)
        {
            throw new NationalRefusal("malformed-json", $"{e.Message} (at /input{e.Pointer})");
        }
    }

    public static T Required<T>(T? value, string pointer) where T : class =>
        value ?? throw NationalRefusal.Invalid(pointer, "Required.");

    public static string Id(string? value, string pointer) =>
        Gateway.Storage.Keys.IsValidId(value) ? value! : throw NationalRefusal.Invalid(pointer, "Required: 1–64 characters of [A-Za-z0-9_-].");

    public static string? Text(string? value, string pointer, int max = MaxText) =>
        value is { Length: var n } && n > max ? throw NationalRefusal.Invalid(pointer, $"At most {max} characters.") : value;

    public static string OneOf(string? value, string pointer, params string[] allowed) =>
        value is not null && Array.IndexOf(allowed, value) >= 0 ? value : throw NationalRefusal.Invalid(pointer, $"Required: one of {string.Join(", ", allowed)}.");

    public static DateTime Time(string? value, string pointer) =>
        value is not null && DateTime.TryParseExact(value, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) && t.Year >= 1900
            ? t : throw NationalRefusal.Invalid(pointer, $"Required: a China time {TimeFormat}.");

    public static string Item(string? value, string pointer) =>
        value is not null && ItemCode().IsMatch(value) ? value : throw NationalRefusal.Invalid(pointer, "Required: the catalog item code (1–64 of letters, digits, '.', '_', '-').");

    public static string Disease(string? value, string pointer) =>
        value is not null && DiseaseCode().IsMatch(value) ? value : throw NationalRefusal.Invalid(pointer, "Required: a special-disease code (1–20 of letters, digits, '.', '-').");

    public static string Sn(string? value, string pointer) =>
        value is not null && LineSn().IsMatch(value) ? value : throw NationalRefusal.Invalid(pointer, "Required: the hospital's line number, 1–30 of [A-Za-z0-9_-].");

    /// <summary>diseinfo: ICD-10 codes, the main diagnosis (maindiag_flag 1) first, then by diag_srt_no.</summary>
    public static List<string> Diagnoses(List<Gateway.Contracts.National.NationalDiagnosis>? list, string pointer, bool required)
    {
        if (list is null || list.Count == 0)
            return required ? throw NationalRefusal.Invalid(pointer, "At least one diagnosis; the main one has maindiag_flag 1.") : [];
        if (list.Count > MaxDiagnoses) throw NationalRefusal.Invalid(pointer, $"At most {MaxDiagnoses} diagnoses.");
        var read = new List<(bool Main, int Order, string Code)>();
        for (var i = 0; i < list.Count; i++)
        {
            var d = list[i] ?? throw NationalRefusal.Invalid($"{pointer}/{i}", "A diagnosis object.");
            if (d.DiagCode is null || !Icd10().IsMatch(d.DiagCode)) throw NationalRefusal.Invalid($"{pointer}/{i}/diag_code", "An ICD-10 code such as I21.9.");
            Text(d.DiagName, $"{pointer}/{i}/diag_name");
            Text(d.DiagType, $"{pointer}/{i}/diag_type", 3);
            var main = d.MaindiagFlag switch
            {
                "1" => true,
                "0" or null => false,
                _ => throw NationalRefusal.Invalid($"{pointer}/{i}/maindiag_flag", "0 or 1."),
            };
            var order = d.DiagSrtNo is null ? i : int.TryParse(d.DiagSrtNo, NumberStyles.None, CultureInfo.InvariantCulture, out var o) && o < 1000 ? o
                : throw NationalRefusal.Invalid($"{pointer}/{i}/diag_srt_no", "A number from 0 to 999.");
            read.Add((main, order, d.DiagCode));
        }
        if (read.Count(r => r.Main) > 1) throw NationalRefusal.Invalid(pointer, "One main diagnosis (maindiag_flag 1) at most.");
        return read.OrderByDescending(r => r.Main).ThenBy(r => r.Order).Select(r => r.Code).ToList();
    }

    /// <summary>Money of the national interface: two decimals (a JSON number, or a string holding one).</summary>
    public static decimal Money2(decimal v) => decimal.Round(v, 2, MidpointRounding.AwayFromZero) + 0.00m;

    public static JValue M(decimal v) => new(Money2(v));

    /// <summary>An identity number masked: the first 3 and the last 4 characters kept (shorter ones: all but the last 2 hidden).</summary>
    public static string Mask(string value) =>
        value.Length > 8 ? value[..3] + new string('*', value.Length - 7) + value[^4..] : new string('*', Math.Max(0, value.Length - 2)) + value[Math.Max(0, value.Length - 2)..];
}
