namespace IntegrationHub.Components;

/// <summary>Where the sign-in pages live; the cookie scheme's LoginPath points at <see cref="LoginPath"/>.</summary>
internal static class SignInRoutes
{
    /// <summary>The sign-in page (GET). The cookie scheme redirects unauthenticated browsers here.</summary>
    public const string LoginPath = "/account/login";

    /// <summary>Where the sign-in form posts.</summary>
    public const string SignInPath = "/account/sign-in";

    /// <summary>A local path to return to after signing in; anything else (another host, a scheme) becomes the home page.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";
}
