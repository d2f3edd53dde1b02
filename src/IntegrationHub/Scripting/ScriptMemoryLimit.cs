using Jint;
using Jint.Runtime;

namespace IntegrationHub.Scripting;

/// <summary>
/// Stops a script that holds more memory than <see cref="ScriptingOptions.MemoryLimitBytes"/>. Jint's own limit counts
/// every byte the script's thread allocated, garbage included, so a script that runs for a while on short-lived values
/// (a loop that reads <c>Date.now()</c>) failed as if it hoarded memory. This one stops a script only when it allocated
/// more than the limit and the managed heap also grew by the limit since the script started, which is when what it
/// allocated is still held. The heap is the whole process's: before stopping a script, the heap is collected and
/// measured again, so that garbage of other threads (triggers, runs beside it) that no collection has taken yet does
/// not count as the script's. A script can still be stopped for what scripts beside it hold; never for garbage, its
/// own or theirs.
/// </summary>
internal sealed class ScriptMemoryLimit(long limitBytes) : Constraint
{
    private long _allocatedAtStart;
    private long _heapAtStart;

    public override void Reset()
    {
        _allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
        _heapAtStart = GC.GetTotalMemory(forceFullCollection: false);
    }

    public override void Check()
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread() - _allocatedAtStart;
        if (allocated <= limitBytes)
        {
            return;
        }
        // Only when the script allocated past the limit and the heap grew as much, which a busy node's garbage alone
        // can do (large buffers wait for a full collection): one full collection tells garbage from what is held. It
        // pauses the node for some milliseconds, at most once per limit's worth of the script's allocations.
        if (GC.GetTotalMemory(forceFullCollection: false) - _heapAtStart <= limitBytes || HeapGrowthAfterCollection() <= limitBytes)
        {
            // The heap did not keep it: garbage the collector took back. Count the script's allocations again from here.
            _allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
            return;
        }
        throw new MemoryLimitExceededException($"Script has allocated {allocated:N0} bytes and the heap grew past the limit of {limitBytes:N0}");
    }

    private long HeapGrowthAfterCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        return GC.GetTotalMemory(forceFullCollection: false) - _heapAtStart;
    }
}
