namespace IntegrationHub.Identity;

/// <summary>Where the account's pages and endpoints live: the cookie scheme, the pages and the endpoints all point here.</summary>
internal static class AccountPaths
{
    /// <summary>The sign-in page (GET), and the JSON or form sign-in (POST). The cookie scheme redirects unauthenticated browsers here.</summary>
    public const string Login = "/account/login";

    /// <summary>Where the sign-in page's form posts.</summary>
    public const string SignIn = "/account/sign-in";

    /// <summary>"Sign in with Microsoft" (only when AzureAd has a client secret).</summary>
    public const string MicrosoftLogin = "/account/login/microsoft";

    /// <summary>Removes the cookie (POST).</summary>
    public const string Logout = "/account/logout";

    /// <summary>The page a signed-in user sees where their role may not go.</summary>
    public const string Denied = "/account/denied";
}
