namespace IntegrationHub.Identity;

/// <summary>
/// Azure AD / Entra ID sign-in. Section <c>AzureAd</c> (environment variables <c>AzureAd__TenantId</c> and so on).
/// Off unless both <see cref="TenantId"/> and <see cref="ClientId"/> are set; then callers may send an Entra ID access
/// token as <c>Authorization: Bearer</c>, and with <see cref="ClientSecret"/> people may also "Sign in with Microsoft".
/// Azure AD callers have no hub user: they act in <see cref="WorkspaceId"/> with <see cref="Role"/>.
/// </summary>
internal sealed class AzureAdOptions
{
    public const string SectionName = "AzureAd";

    /// <summary>
    /// The identity provider's address, ending in a slash. Default <c>https://login.microsoftonline.com/</c>.
    /// Must be https, except on a loopback address (a local test identity provider).
    /// </summary>
    public string Instance { get; set; } = "https://login.microsoftonline.com/";

    /// <summary>The directory (tenant) id. Default: none (Azure AD off).</summary>
    public string? TenantId { get; set; }

    /// <summary>The application (client) id of the hub's app registration: the tokens' audience (also accepted as <c>api://{ClientId}</c>). Default: none (Azure AD off).</summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// Optional group object id: when set, only tokens whose <c>groups</c> claim holds it are let in (others get 403).
    /// The app registration must emit group claims. Default: none (every token of the tenant for this audience).
    /// </summary>
    public string? Group { get; set; }

    /// <summary>The workspace Azure AD callers act in. Default: the default (first) workspace.</summary>
    public Guid? WorkspaceId { get; set; }

    /// <summary>The role Azure AD callers get in that workspace. Default <see cref="UserRole.Operator"/> (may trigger runs).</summary>
    public UserRole Role { get; set; } = UserRole.Operator;

    /// <summary>
    /// The app registration's client secret; when set, the sign-in page offers "Sign in with Microsoft"
    /// (OpenID Connect, authorization code flow). Default: none.
    /// </summary>
    public string? ClientSecret { get; set; }

    /// <summary>The redirect path registered in Entra ID for "Sign in with Microsoft". Default <c>/signin-microsoft</c>.</summary>
    public string CallbackPath { get; set; } = "/signin-microsoft";

    /// <summary>
    /// How long a "Sign in with Microsoft" session lasts before the browser is sent through Microsoft again, used or not.
    /// Such a session has no hub user to disable: this is when a person removed from the group, or disabled in Entra ID,
    /// loses it at the latest. Default 8 hours (a working day); 5 minutes to 7 days.
    /// </summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>True when both <see cref="TenantId"/> and <see cref="ClientId"/> are set.</summary>
    public bool IsEnabled => !string.IsNullOrWhiteSpace(TenantId) && !string.IsNullOrWhiteSpace(ClientId);

    /// <summary>True when "Sign in with Microsoft" is available.</summary>
    public bool IsInteractiveSignInEnabled => IsEnabled && !string.IsNullOrWhiteSpace(ClientSecret);

    /// <summary><c>{Instance}{TenantId}/v2.0</c>.</summary>
    public string Authority => $"{Instance.TrimEnd('/')}/{TenantId!.Trim()}/v2.0";

    /// <summary>
    /// Why the settings cannot work, or null. Checked at start so a typo fails the start, not the first request.
    /// </summary>
    internal string? Problem()
    {
        if (!IsEnabled)
        {
            return string.IsNullOrWhiteSpace(TenantId) == string.IsNullOrWhiteSpace(ClientId)
                ? null
                : "AzureAd needs both TenantId and ClientId (or neither, to turn Azure AD off).";
        }
        if (!Uri.TryCreate(Instance, UriKind.Absolute, out var instance) || instance.Scheme is not ("https" or "http"))
        {
            return $"AzureAd:Instance '{Instance}' is not an absolute http(s) URL.";
        }
        if (instance.Scheme == "http" && !instance.IsLoopback)
        {
            return $"AzureAd:Instance '{Instance}' uses http:// on a non-loopback address; token signing keys must be fetched over https.";
        }
        if (!Enum.IsDefined(Role))
        {
            return "AzureAd:Role must be Viewer, Operator, Editor or Admin.";
        }
        if (SessionLifetime < TimeSpan.FromMinutes(5) || SessionLifetime > TimeSpan.FromDays(7))
        {
            return $"AzureAd:SessionLifetime must be between 00:05:00 and 7.00:00:00 (it is {SessionLifetime}).";
        }
        return null;
    }

    /// <summary>An http:// instance (validated to be loopback) fetches its metadata without https.</summary>
    internal bool RequiresHttpsMetadata => !Instance.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
}
