using System.Text;

namespace IntegrationHub.Storage;

/// <summary>
/// The storage writes of one run (its script's <c>storage.set</c> and <c>storage.delete</c>, and the storage target),
/// held until the run ends. They are committed in the same transaction that records the run as succeeded, so a run's
/// changes land all together or, when it fails, not at all; and the hub commits many runs' outcomes at once instead
/// of one transaction per write. The run itself reads its own changes back at once.
/// </summary>
internal sealed class StorageChanges(int maxKeys, int maxValueBytes = StorageOptions.DefaultMaxValueBytes)
{
    // Insertion-ordered: keys are committed in the order the run first changed them.
    private readonly Dictionary<string, StorageChange> _byKey = new(StringComparer.Ordinal);

    /// <summary>The largest value one key may hold, as UTF-8 JSON (Storage:MaxValueBytes).</summary>
    public int MaxValueBytes => maxValueBytes;

    /// <summary>How many keys the run changed (each counted once, however often it was written).</summary>
    public int Count => _byKey.Count;

    /// <summary>The last change of each key.</summary>
    public IEnumerable<StorageChange> Changes => _byKey.Values;

    /// <summary>
    /// Stores or replaces <paramref name="canonicalKey"/>'s value when the run succeeds. The key is one that can be stored
    /// (<see cref="StorageKey.StoreProblem"/>): each caller checks it first, to say so in its own terms (a script's
    /// TypeError, the storage target's record and key fields).
    /// </summary>
    /// <exception cref="StorageChangeLimitException">The run already changed as many keys as it may, or the value is
    /// larger than a key may hold.</exception>
    public void Set(string canonicalKey, string valueJson, DateTimeOffset? expiresAt)
    {
        ArgumentNullException.ThrowIfNull(valueJson);
        if (StorageKey.StoreProblem(canonicalKey) is { } keyProblem)
        {
            throw new ArgumentException(keyProblem, nameof(canonicalKey));
        }
        // A character is at most 3 UTF-8 bytes, so only a long value is worth the pass that counts its bytes.
        if (valueJson.Length > maxValueBytes / 3)
        {
            var bytes = Encoding.UTF8.GetByteCount(valueJson);
            if (bytes > maxValueBytes)
            {
                throw new StorageChangeLimitException(
                    $"A stored value may hold at most {maxValueBytes:N0} bytes of JSON (Storage:MaxValueBytes); this one has {bytes:N0}.");
            }
        }
        Put(new StorageChange(canonicalKey, valueJson, expiresAt));
    }

    /// <summary>Removes <paramref name="canonicalKey"/> when the run succeeds.</summary>
    /// <exception cref="StorageChangeLimitException">The run already changed as many keys as it may.</exception>
    public void Delete(string canonicalKey) => Put(new StorageChange(canonicalKey, null, null));

    /// <summary>
    /// Whether the run changed <paramref name="canonicalKey"/>; if so, <paramref name="valueJson"/> is what it reads now
    /// (null once deleted or expired).
    /// </summary>
    public bool TryGet(string canonicalKey, DateTimeOffset now, out string? valueJson)
    {
        if (!_byKey.TryGetValue(canonicalKey, out var change))
        {
            valueJson = null;
            return false;
        }
        valueJson = change.ExpiresAt is { } expiresAt && expiresAt <= now ? null : change.ValueJson;
        return true;
    }

    private void Put(StorageChange change)
    {
        if (_byKey.Count >= maxKeys && !_byKey.ContainsKey(change.Key))
        {
            throw new StorageChangeLimitException(
                $"A run may change at most {maxKeys:N0} storage keys (Storage:MaxChangesPerRun); this one tried to change more.");
        }
        _byKey[change.Key] = change;
    }
}

/// <summary>One key's pending change: a value to store, or a deletion when <see cref="ValueJson"/> is null.</summary>
internal sealed record StorageChange(string Key, string? ValueJson, DateTimeOffset? ExpiresAt);

/// <summary>A run went past a limit of <see cref="StorageOptions"/> (too many keys changed, a value too large) or a key's (<see cref="StorageKey.MaxBytes"/>).</summary>
internal sealed class StorageChangeLimitException(string message) : Exception(message);
