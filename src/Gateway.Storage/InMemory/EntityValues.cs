using System.Globalization;
using System.Reflection;
using System.Runtime.Serialization;
using System.Xml;
using Azure;
using Azure.Data.Tables;

namespace Gateway.Storage.InMemory;

/// <summary>
/// The values a table stores, as they come back from the service through the SDK: what a property of each CLR type
/// becomes after the SDK serialised it (JSON with OData type annotations) and the service returned it. Verified against
/// Azurite 3.37 (InMemoryTablesConformanceTests): int → Int32, long → Int64, double → Double (NaN kept), bool, string,
/// Guid, DateTimeOffset and UTC DateTime → DateTimeOffset in UTC (ticks kept), byte[] and BinaryData → byte[]; a decimal
/// or float is written as a JSON number, so it comes back as Int32 when integral, else Double; TimeSpan as its XML
/// duration string; null is not stored. A local or unspecified DateTime, an enum, or any other type is refused by the
/// SDK before anything is sent (same exception, same message).
/// </summary>
internal static class EntityValues
{
    public const string ETagKey = "odata.etag";
    public const string TimestampKey = "Timestamp";
    public const string PartitionKeyName = "PartitionKey";
    public const string RowKeyName = "RowKey";

    /// <summary>The stored form of a property value, or null when the property is not stored (a null value).</summary>
    public static object? Normalize(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b,
        int i => i,
        long l => l,
        ulong u => u <= long.MaxValue ? (long)u : throw new OverflowException($"Value {u} does not fit an Edm.Int64 property."),
        double d => double.IsInfinity(d) ? throw new ArgumentException(".NET number values such as positive and negative infinity cannot be written as valid JSON.") : d,
        Guid g => g,
        DateTimeOffset t => t.ToUniversalTime(),
        DateTime t => t.Kind == DateTimeKind.Utc
            ? new DateTimeOffset(t)
            : throw new NotSupportedException($"DateTime {t} has a Kind of {t.Kind}. Azure SDK requires it to be UTC. You can call DateTime.SpecifyKind to change Kind property value to DateTimeKind.Utc."),
        byte[] bytes => bytes.ToArray(),
        BinaryData data => data.ToArray(),
        Enum => throw new NotSupportedException("Enum values are only supported for custom model types implementing ITableEntity."),
        decimal m => FromJsonNumber(m.ToString(CultureInfo.InvariantCulture)),
        float f => FromJsonNumber(f.ToString(CultureInfo.InvariantCulture)),
        TimeSpan span => XmlConvert.ToString(span),
        _ => throw new NotSupportedException($"Not supported type {value.GetType()}"),
    };

    /// <summary>An unannotated JSON number as the service types it: integral is Int32 (or Int64, or Double, by size), else Double.</summary>
    private static object FromJsonNumber(string text)
    {
        var d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (Math.Floor(d) != d || Math.Abs(d) >= 1e21) return d;
        if (d is >= int.MinValue and <= int.MaxValue) return (int)d;
        if (d is >= long.MinValue and < 9.2233720368547758E18) return (long)d;
        return d;
    }

    /// <summary>A value as the caller gets it (byte arrays are copied: no caller shares the store's array).</summary>
    public static object Copy(object value) => value is byte[] b ? b.ToArray() : value;

    /// <summary>What a stored value counts for in the service's entity size rule (bytes).</summary>
    public static int Size(object value) => value switch
    {
        string s => 4 + s.Length * 2,
        byte[] b => 4 + b.Length,
        bool => 1,
        int => 4,
        Guid => 16,
        _ => 8, // long, double, DateTimeOffset
    };

    /// <summary>
    /// The properties the SDK sends for <paramref name="entity"/>, in its order, normalised (nulls dropped; PartitionKey,
    /// RowKey, the ETag and Timestamp are not properties). Throws what the SDK throws for a value it cannot send.
    /// </summary>
    public static List<KeyValuePair<string, object>> Properties(ITableEntity entity)
    {
        var list = new List<KeyValuePair<string, object>>();
        foreach (var (name, value) in Raw(entity))
        {
            if (name is PartitionKeyName or RowKeyName or ETagKey or TimestampKey) continue;
            if (Normalize(value) is { } v) list.Add(new(name, v));
        }
        return list;
    }

    private static IEnumerable<(string Name, object? Value)> Raw(ITableEntity entity)
    {
        if (entity is IDictionary<string, object> dictionary) return dictionary.Select(kv => (kv.Key, (object?)kv.Value));
        return TypedBinder.For(entity.GetType()).Write(entity);
    }

    /// <summary>The entity a caller gets back: a <see cref="TableEntity"/> (or subclass) keyed as the SDK keys it, or a typed model.</summary>
    public static T ToEntity<T>(IReadOnlyList<KeyValuePair<string, object>> values) where T : class, ITableEntity
    {
        if (typeof(IDictionary<string, object>).IsAssignableFrom(typeof(T)))
        {
            var result = Activator.CreateInstance<T>();
            var dictionary = (IDictionary<string, object>)result;
            foreach (var (k, v) in values) dictionary[k] = Copy(v);
            return result;
        }
        return (T)TypedBinder.For(typeof(T)).Read(values);
    }

    /// <summary>
    /// Typed models (a class implementing <see cref="ITableEntity"/> that is not a dictionary): public instance properties
    /// with a getter and a setter, by name (<see cref="DataMemberAttribute.Name"/> renames, <see cref="IgnoreDataMemberAttribute"/>
    /// skips); an enum is stored as its name. The repository uses <see cref="TableEntity"/> only; this covers the common shapes.
    /// </summary>
    private sealed class TypedBinder
    {
        private static readonly Dictionary<Type, TypedBinder> Cache = [];
        private readonly Type _type;
        private readonly List<(string Name, PropertyInfo Property)> _properties;

        private TypedBinder(Type type)
        {
            _type = type;
            _properties = type.GetProperties(BindingFlags.Instance | BindingFlags.Public)
                .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<IgnoreDataMemberAttribute>() is null)
                .Select(p => (p.GetCustomAttribute<DataMemberAttribute>()?.Name ?? p.Name, p))
                .ToList();
        }

        public static TypedBinder For(Type type)
        {
            lock (Cache)
            {
                if (!Cache.TryGetValue(type, out var binder)) Cache[type] = binder = new TypedBinder(type);
                return binder;
            }
        }

        public IEnumerable<(string Name, object? Value)> Write(object entity)
        {
            foreach (var (name, p) in _properties)
            {
                if (name is nameof(ITableEntity.ETag) or nameof(ITableEntity.Timestamp)) continue;
                var value = p.GetValue(entity);
                yield return (name, value is Enum e ? e.ToString() : value);
            }
        }

        public object Read(IReadOnlyList<KeyValuePair<string, object>> values)
        {
            var result = Activator.CreateInstance(_type) ?? throw new InvalidOperationException($"Cannot create {_type}.");
            var byName = values.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            foreach (var (name, p) in _properties)
            {
                if (name == nameof(ITableEntity.ETag))
                {
                    if (byName.TryGetValue(ETagKey, out var etag)) p.SetValue(result, new ETag((string)etag));
                    continue;
                }
                if (!byName.TryGetValue(name, out var value)) continue;
                p.SetValue(result, Convert(Copy(value), p.PropertyType));
            }
            return result;
        }

        private static object? Convert(object value, Type target)
        {
            var type = Nullable.GetUnderlyingType(target) ?? target;
            if (type.IsInstanceOfType(value)) return value;
            return (type, value) switch
            {
                (_, string s) when type.IsEnum => Enum.Parse(type, s),
                (_, DateTimeOffset t) when type == typeof(DateTime) => t.UtcDateTime,
                (_, byte[] b) when type == typeof(BinaryData) => BinaryData.FromBytes(b),
                (_, int i) when type == typeof(long) => (long)i,
                (_, int i) when type == typeof(double) => (double)i,
                _ => throw new InvalidOperationException($"Cannot set a {type} property from a {value.GetType()} value."),
            };
        }
    }
}
