using Jint;
using Jint.Native;

namespace IntegrationHub.Scripting;

/// <summary>
/// Promises of the script that were rejected with no handler and got none by the end: an async call it did not
/// await, a <c>.then</c> without a <c>.catch</c>. Their errors would otherwise vanish, and the run succeed without
/// the work they stopped.
/// </summary>
internal sealed class UnobservedRejections
{
    private readonly Dictionary<JsValue, JsValue> _pending = new(ReferenceEqualityComparer.Instance);

    public UnobservedRejections(Engine engine) => engine.Advanced.PromiseRejectionTracker += (_, e) =>
    {
        if (e.Operation == Jint.Native.Promise.PromiseRejectionOperation.Reject)
        {
            _pending[e.Promise] = e.Value ?? JsValue.Undefined;
        }
        else
        {
            _pending.Remove(e.Promise);
        }
    };

    /// <summary>The reason of the first such rejection still without a handler, or null.</summary>
    public JsValue? First => _pending.Count == 0 ? null : _pending.Values.First();
}
