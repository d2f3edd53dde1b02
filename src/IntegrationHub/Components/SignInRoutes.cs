namespace IntegrationHub.Components;

/// <summary>Where the sign-in pages live; the cookie scheme's LoginPath points at <see cref="LoginPath"/>.</summary>
internal static class SignInRoutes
{
    /// <summary>The sign-in page (GET). The cookie scheme redirects unauthenticated browsers here.</summary>
    public const string LoginPath = "/account/login";

    /// <summary>Where the sign-in form posts.</summary>
    public const string SignInPath = "/account/sign-in";
}
