namespace IntegrationHub.Hosting;

/// <summary>Installation-wide settings. Section <c>Hub</c>.</summary>
internal sealed class HubOptions
{
    public const string SectionName = "Hub";

    /// <summary>
    /// The address external systems use to reach this hub, e.g. <c>https://hub.example.com</c>; used in the
    /// trigger URLs the web app shows and in the setup link. Default: none, then the address of the current request.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>
    /// This node's name in leases and logs. Default: the machine name and process id. A random suffix is always added
    /// (<c>vm:4242:5f3a9c1e</c>), so that two processes given the same name still hold their leases apart.
    /// </summary>
    public string? NodeName { get; set; }

    /// <summary>
    /// How long a stopping node lets its running runs finish. Runs still going then are released to the queue, their
    /// attempt not counted, for another node (or this one after its restart). Default 30 s; range 1 s to 1 h.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
