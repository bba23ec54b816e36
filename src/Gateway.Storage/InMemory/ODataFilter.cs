using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Storage.InMemory;

/// <summary>
/// The OData <c>$filter</c> subset of the Table service: comparisons (<c>eq ne lt le gt ge</c>) of a property with a
/// literal (or another property), <c>and</c>, <c>or</c>, <c>not</c>, parentheses; literals as
/// <see cref="Azure.Data.Tables.TableClient.CreateQueryFilter(FormattableString)"/> and the LINQ binder write them:
/// <c>'text'</c> (<c>''</c> escapes a quote), <c>true</c>/<c>false</c>, <c>42</c> (Int32), <c>42L</c> (Int64),
/// <c>4.2</c> (Double), <c>datetime'…'</c>, <c>guid'…'</c>, <c>X'0A1B'</c>/<c>binary'…'</c>, <c>null</c>. Tokens and keywords
/// as Azurite's lexer reads them (keywords case-insensitive, a word ends at white space, a parenthesis or a quote).
/// <para>
/// Comparisons are typed as the service types them: a property that is absent, or whose type differs from the literal's,
/// makes the comparison false, whatever the operator (<c>ne</c> included; <c>not</c> of it is true). Int32 and Double
/// compare numerically with each other; Int64 only with Int64 (<c>L</c>) literals; strings ordinally; date-times to the
/// tick; GUIDs by value; binary byte by byte. A bare boolean property or literal is a predicate.
/// </para>
/// </summary>
internal abstract partial class ODataFilter
{
    /// <summary>Whether the entity (its keys, its stored properties and Timestamp) satisfies the filter.</summary>
    public abstract bool Matches(Func<string, object?> property);

    /// <summary>The partition a top-level <c>PartitionKey eq '…'</c> conjunct pins, if any (the query then reads that partition only).</summary>
    public virtual string? Partition => null;

    /// <summary>Parses a filter; throws <see cref="FormatException"/> (the service: 400 InvalidInput) on anything else.</summary>
    public static ODataFilter Parse(string text)
    {
        var parser = new Parser(text);
        var tree = parser.ParseOr();
        parser.Expect(TokenKind.End);
        if (!tree.HasIdentifier) throw new FormatException("Invalid Query, no identifier references found.");
        return tree;
    }

    protected abstract bool HasIdentifier { get; }

    private sealed class Or(ODataFilter left, ODataFilter right) : ODataFilter
    {
        public override bool Matches(Func<string, object?> property) => left.Matches(property) || right.Matches(property);
        protected override bool HasIdentifier => left.HasIdentifier || right.HasIdentifier;
    }

    private sealed class And(ODataFilter left, ODataFilter right) : ODataFilter
    {
        public override bool Matches(Func<string, object?> property) => left.Matches(property) && right.Matches(property);
        public override string? Partition => left.Partition ?? right.Partition;
        protected override bool HasIdentifier => left.HasIdentifier || right.HasIdentifier;
    }

    private sealed class Not(ODataFilter inner) : ODataFilter
    {
        public override bool Matches(Func<string, object?> property) => !inner.Matches(property);
        protected override bool HasIdentifier => inner.HasIdentifier;
    }

    /// <summary>A bare operand used as a predicate: true only when it is the boolean true.</summary>
    private sealed class Truth(Operand operand) : ODataFilter
    {
        public override bool Matches(Func<string, object?> property) => operand.Value(property) is true;
        protected override bool HasIdentifier => operand.IsProperty;
    }

    private sealed class Comparison(string op, Operand left, Operand right) : ODataFilter
    {
        public override bool Matches(Func<string, object?> property)
        {
            if (Compare(left.Value(property), right.Value(property)) is not { } c) return false;
            return op switch
            {
                "eq" => c == 0,
                "ne" => c != 0,
                "lt" => c < 0,
                "le" => c <= 0,
                "gt" => c > 0,
                _ => c >= 0,
            };
        }

        public override string? Partition =>
            op == "eq" && left is { IsProperty: true, Name: EntityValues.PartitionKeyName } && right.Literal is string pk ? pk
            : op == "eq" && right is { IsProperty: true, Name: EntityValues.PartitionKeyName } && left.Literal is string pk2 ? pk2
            : null;

        protected override bool HasIdentifier => left.IsProperty || right.IsProperty;

        /// <summary>The order of two values of comparable types; null when either is absent or the types differ.</summary>
        private static int? Compare(object? a, object? b) => (a, b) switch
        {
            (null, _) or (_, null) => null,
            (string x, string y) => string.CompareOrdinal(x, y),
            (bool x, bool y) => x.CompareTo(y),
            (long x, long y) => x.CompareTo(y),
            (int or double, int or double) => Numeric(Convert.ToDouble(a, CultureInfo.InvariantCulture), Convert.ToDouble(b, CultureInfo.InvariantCulture)),
            (DateTimeOffset x, DateTimeOffset y) => x.UtcTicks.CompareTo(y.UtcTicks),
            (Guid x, Guid y) => x.CompareTo(y),
            (byte[] x, byte[] y) => x.AsSpan().SequenceCompareTo(y),
            _ => null,
        };

        private static int? Numeric(double x, double y) => double.IsNaN(x) || double.IsNaN(y) ? null : x.CompareTo(y);
    }

    private sealed class Operand
    {
        public string? Name { get; private init; }
        public object? Literal { get; private init; }
        public bool IsProperty => Name is not null;

        public static Operand Property(string name) => new() { Name = name };
        public static Operand Constant(object? value) => new() { Literal = value };

        public object? Value(Func<string, object?> property) => Name is null ? Literal : property(Name);
    }

    private enum TokenKind { Open, Close, String, Word, End }

    private readonly record struct Token(TokenKind Kind, string Text, int Position);

    [GeneratedRegex(@"^-?[0-9]+$")]
    private static partial Regex IntegerLiteral();

    [GeneratedRegex(@"^-?[0-9]+[lL]$")]
    private static partial Regex LongLiteral();

    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?[dD]?$")]
    private static partial Regex DoubleLiteral();

    private sealed class Parser(string text)
    {
        private int _position;

        private Token Peek()
        {
            var p = _position;
            while (p < text.Length && char.IsWhiteSpace(text[p])) p++;
            if (p >= text.Length) return new Token(TokenKind.End, "", p);
            switch (text[p])
            {
                case '(': return new Token(TokenKind.Open, "(", p);
                case ')': return new Token(TokenKind.Close, ")", p);
                case '\'' or '"': return new Token(TokenKind.String, text[p].ToString(), p);
            }
            var end = p;
            while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('(' or ')' or '\'' or '"')) end++;
            return new Token(TokenKind.Word, text[p..end], p);
        }

        private Token Next()
        {
            var t = Peek();
            _position = t.Kind switch
            {
                TokenKind.End => t.Position,
                TokenKind.String => t.Position, // ReadString consumes it
                _ => t.Position + t.Text.Length,
            };
            return t;
        }

        public void Expect(TokenKind kind)
        {
            var t = Next();
            if (t.Kind != kind) throw new FormatException($"Unexpected '{t.Text}' at {t.Position} (expected {kind}).");
        }

        private bool NextIsWord(string keyword)
        {
            var t = Peek();
            if (t.Kind != TokenKind.Word || !t.Text.Equals(keyword, StringComparison.OrdinalIgnoreCase)) return false;
            Next();
            return true;
        }

        public ODataFilter ParseOr()
        {
            var left = ParseAnd();
            return NextIsWord("or") ? new Or(left, ParseOr()) : left;
        }

        private ODataFilter ParseAnd()
        {
            var left = ParseUnary();
            return NextIsWord("and") ? new And(left, ParseAnd()) : left;
        }

        private ODataFilter ParseUnary()
        {
            var not = NextIsWord("not");
            var inner = ParseGroup();
            return not ? new Not(inner) : inner;
        }

        private ODataFilter ParseGroup()
        {
            if (Peek().Kind != TokenKind.Open) return ParseComparison();
            Next();
            var inner = ParseOr();
            Expect(TokenKind.Close);
            return inner;
        }

        private ODataFilter ParseComparison()
        {
            var left = ParseOperand();
            var t = Peek();
            if (t.Kind == TokenKind.Word && t.Text.ToLowerInvariant() is "eq" or "ne" or "lt" or "le" or "gt" or "ge")
            {
                Next();
                return new Comparison(t.Text.ToLowerInvariant(), left, ParseOperand());
            }
            return new Truth(left);
        }

        private string ReadString()
        {
            var quote = text[_position];
            var p = _position + 1;
            var sb = new System.Text.StringBuilder();
            while (true)
            {
                if (p >= text.Length) throw new FormatException("Unterminated string literal.");
                if (text[p] == quote)
                {
                    if (p + 1 < text.Length && text[p + 1] == quote)
                    {
                        sb.Append(quote);
                        p += 2;
                        continue;
                    }
                    _position = p + 1;
                    return sb.ToString();
                }
                sb.Append(text[p++]);
            }
        }

        private Operand ParseOperand()
        {
            var t = Next();
            switch (t.Kind)
            {
                case TokenKind.String:
                    return Operand.Constant(ReadString());
                case TokenKind.Word:
                    break;
                default:
                    throw new FormatException($"Unexpected '{t.Text}' at {t.Position} (expected an identifier or a literal).");
            }
            var word = t.Text;
            var lower = word.ToLowerInvariant();
            if (lower is "datetime" or "guid" or "x" or "binary" && Peek() is { Kind: TokenKind.String } q && q.Position == _position)
            {
                Next();
                var s = ReadString();
                return Operand.Constant(lower switch
                {
                    "datetime" => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                    "guid" => Guid.Parse(s),
                    _ => Convert.FromHexString(s),
                });
            }
            if (lower is "true" or "false") return Operand.Constant(lower == "true");
            if (lower == "null") return Operand.Constant(null);
            if (LongLiteral().IsMatch(word)) return Operand.Constant(long.Parse(word[..^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
            if (IntegerLiteral().IsMatch(word))
            {
                var n = long.Parse(word, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                return Operand.Constant(n is >= int.MinValue and <= int.MaxValue ? (object)(int)n : n);
            }
            if (DoubleLiteral().IsMatch(word)) return Operand.Constant(double.Parse(word.TrimEnd('d', 'D'), NumberStyles.Float, CultureInfo.InvariantCulture));
            if (lower is "eq" or "ne" or "lt" or "le" or "gt" or "ge" or "and" or "or" or "not")
                throw new FormatException($"Unexpected operator '{word}' at {t.Position}.");
            return Operand.Property(word);
        }
    }
}
