namespace Gateway.Domain;

/// <summary>The bill's own checks of traceability codes (追溯码, spec §10.1): pure, before any code is looked up or held.</summary>
public static class TraceCodes
{
    /// <summary>Every code of the bill, in bill order.</summary>
    public static IReadOnlyList<string> Of(Encounter e) => [.. e.Lines.SelectMany(l => l.TraceCodes)];

    /// <summary>
    /// <c>trace-code-duplicated</c> for the same code twice in the bill; <c>invalid-encounter</c> for codes on a line the catalog
    /// knows as a service (only drugs and materials carry them). Null when the codes are fine.
    /// </summary>
    public static Rejection? Check(Encounter e, Catalog? catalog)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < e.Lines.Count; i++)
        {
            var line = e.Lines[i];
            if (line.TraceCodes.Count == 0) continue;
            if (catalog is not null && catalog.TryFind(line.ItemCode, e.ServiceDate, out var item) && item.Category == ItemCategory.Service)
                return new Rejection(RejectionCode.InvalidEncounter, $"Line {line.LineNo} ({line.ItemCode}) is a service: only drug and material lines carry traceability codes.", $"/lines/{i}/traceCodes");
            for (var j = 0; j < line.TraceCodes.Count; j++)
            {
                var code = line.TraceCodes[j];
                if (seen.TryGetValue(code, out var first))
                    return new Rejection(RejectionCode.TraceCodeDuplicated,
                        $"Traceability code {code} appears twice in the bill (line {e.Lines[first].LineNo} and line {line.LineNo}): each unit has its own code.", $"/lines/{i}/traceCodes/{j}");
                seen[code] = i;
            }
        }
        return null;
    }

    /// <summary><c>trace-code-reused</c>: the line and code, and the treatment region of the settlement holding it (never its hospital or member).</summary>
    public static Rejection Reused(Encounter e, string code, string holderRegion)
    {
        for (var i = 0; i < e.Lines.Count; i++)
        {
            var j = IndexOf(e.Lines[i].TraceCodes, code);
            if (j >= 0)
                return new Rejection(RejectionCode.TraceCodeReused,
                    $"Traceability code {code} of line {e.Lines[i].LineNo} is held by another settlement, of treatment region {holderRegion}: a unit is reimbursed once.", $"/lines/{i}/traceCodes/{j}");
        }
        return new Rejection(RejectionCode.TraceCodeReused, $"Traceability code {code} is held by another settlement, of treatment region {holderRegion}.");
    }

    private static int IndexOf(IReadOnlyList<string> list, string code)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == code) return i;
        return -1;
    }
}
