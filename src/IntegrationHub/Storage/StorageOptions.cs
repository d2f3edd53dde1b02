using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Storage;

/// <summary>The scenarios' internal data storage. Section <c>Storage</c>.</summary>
internal sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>
    /// Keys one run may change (script writes and the storage target together). A run holds its changes in memory until
    /// it ends, so this bounds that memory. Default 100,000; range 1 to 10,000,000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxChangesPerRun { get; set; } = 100_000;

    /// <summary>
    /// The largest value one key may hold, as UTF-8 JSON: a script's <c>storage.set</c>, a storage target's record and
    /// <c>PUT /api/v1/scenarios/{id}/storage</c> are held to it. Default 16 MiB; range 1 KiB to 1 GiB.
    /// </summary>
    [Range(1024, 1 << 30)]
    public int MaxValueBytes { get; set; } = DefaultMaxValueBytes;

    internal const int DefaultMaxValueBytes = 16 << 20;
}
