namespace IntegrationHub.Runs;

/// <summary>How the pages word run facts.</summary>
internal static class RunText
{
    public static string Trigger(TriggerKind trigger) => trigger switch
    {
        TriggerKind.Manual => "Run now",
        TriggerKind.Schedule => "Schedule",
        TriggerKind.ExternalGet => "External GET",
        TriggerKind.ExternalPost => "External POST",
        TriggerKind.Retry => "Retry",
        _ => trigger.ToString(),
    };

    public static string Duration(DateTimeOffset? started, DateTimeOffset? finished)
    {
        if (started is null || finished is null)
        {
            return "—";
        }
        var span = finished.Value - started.Value;
        return span.TotalSeconds < 1 ? $"{Math.Max(0, span.TotalMilliseconds):0} ms"
            : span.TotalMinutes < 1 ? $"{span.TotalSeconds:0.0} s"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min {span.Seconds} s"
            : $"{(int)span.TotalHours} h {span.Minutes} min";
    }
}
