namespace IntegrationHub.Identity;

/// <summary>Authentication scheme and authorization policy names.</summary>
internal static class HubSchemes
{
    /// <summary>The default: picks one of the others from the request.</summary>
    public const string Hub = "Hub";
    public const string AccessToken = "AccessToken";
    public const string AzureAd = "AzureAd";
    public const string Cookie = "Cookies";
    /// <summary>
    /// Signs in with a new server-side session (<see cref="FreshSessionStore"/>): the same cookie as <see cref="Cookie"/>,
    /// which reads it, but never the session the request came with.
    /// </summary>
    public const string NewSession = "NewSession";
    /// <summary>"Sign in with Microsoft" (OpenID Connect), registered only when <c>AzureAd:ClientSecret</c> is set; signs in through <see cref="NewSession"/>.</summary>
    public const string Microsoft = "Microsoft";
}

/// <summary>Authorization policies by the least role they need.</summary>
internal static class HubPolicies
{
    public const string Viewer = nameof(UserRole.Viewer);
    public const string Operator = nameof(UserRole.Operator);
    public const string Editor = nameof(UserRole.Editor);
    public const string Admin = nameof(UserRole.Admin);
    public const string InstallationAdmin = "InstallationAdmin";
}
