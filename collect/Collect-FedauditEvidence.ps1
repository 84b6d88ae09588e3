<#
.SYNOPSIS
    Collects AD FS and Microsoft Entra ID federation evidence for fedaudit, into a new dated
    folder with a SHA-256 manifest.

.DESCRIPTION
    Run it twice, in two places, and give fedaudit both folders:

      * on the PRIMARY AD FS server, in Windows PowerShell 5.1 as an AD FS administrator:
            .\Collect-FedauditEvidence.ps1 -Adfs -OutputPath D:\fedaudit-evidence
        writes Get-AdfsProperties.json and Get-AdfsCertificate.json (every certificate type,
        each certificate's DER bytes as base64 RawData);

      * on a workstation with Microsoft Graph PowerShell (the default: -Graph is implied when no
        switch is given; the script signs in with Connect-MgGraph -Scopes Domain.Read.All when
        the session is not connected yet):
            .\Collect-FedauditEvidence.ps1
        writes Get-MgDomain.json (GET /v1.0/domains) and, for every federated domain,
        Get-MgDomainFederationConfiguration.<domain>.json (GET /v1.0/domains/<domain>/federationConfiguration):
        the bodies Microsoft Graph returned, byte for byte.

      * LEGACY, for archived tenants only: -Msol reads through the MSOnline module, which
        Microsoft retired between April and May 2025 (https://aka.ms/msonlineretirement); it fails
        against Entra ID today. It is kept so that old evidence can be re-collected the same way
        where a copy of MSOnline still answers; it never runs unless asked for.

    Every run creates <OutputPath>\fedaudit-evidence-<yyyyMMddTHHmmssZ>-<COMPUTERNAME> and writes
    nothing anywhere else. manifest.json lists each file with its size and SHA-256, the commands
    that produced it, and anything that went wrong. The script only reads from AD FS and Entra ID.

.PARAMETER OutputPath
    The folder in which the dated evidence folder is created (default: the current folder).

.PARAMETER Adfs
    Export Get-AdfsProperties and Get-AdfsCertificate (run on the primary AD FS server).

.PARAMETER Graph
    Export the tenant's domains and every federated domain's federation configuration through
    Microsoft Graph (module Microsoft.Graph.Authentication; delegated permission Domain.Read.All,
    roles such as Global Reader or Domain Name Administrator). The default when no switch is given.

.PARAMETER Msol
    LEGACY (MSOnline was retired in 2025). Export Get-MsolDomain and, for every federated domain,
    Get-MsolDomainFederationSettings (module MSOnline; Connect-MsolService first). With -Adfs, also
    Get-MsolFederationProperty.

.EXAMPLE
    .\Collect-FedauditEvidence.ps1 -Adfs -OutputPath D:\fedaudit-evidence

.EXAMPLE
    .\Collect-FedauditEvidence.ps1

.EXAMPLE
    Connect-MgGraph -Scopes Domain.Read.All -NoWelcome; .\Collect-FedauditEvidence.ps1 -Graph -OutputPath C:\fedaudit-evidence

.NOTES
    Works in Windows PowerShell 5.1 and PowerShell 7. fedaudit reads exactly what this script
    writes (tests/data/collector/ in the fedaudit repository holds files in this shape).
#>
[CmdletBinding()]
param(
    [string]$OutputPath = (Get-Location).Path,
    [switch]$Adfs,
    [switch]$Graph,
    [switch]$Msol
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$CollectorVersion = '1'
if ($PSVersionTable.PSVersion.Major -lt 6) {
    # Windows PowerShell 5.1 serialises an array held in a variable as {"value": [...], "Count": n}
    # because of the System.Array type data; removing it (for this session only) makes
    # ConvertTo-Json write plain JSON arrays, as PowerShell 7 does.
    Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue
}
if (-not ($Adfs -or $Graph -or $Msol)) {
    # Microsoft Graph is the default source of the Entra ID side.
    $Graph = [switch]$true
}
if ($Msol) {
    Write-Warning 'Legacy -Msol: the MSOnline module was retired in 2025 (https://aka.ms/msonlineretirement) and fails against Entra ID; use -Graph.'
}

$invariant = [System.Globalization.CultureInfo]::InvariantCulture
$started = (Get-Date).ToUniversalTime()
$stamp = $started.ToString('yyyyMMddTHHmmssZ', $invariant)
$computer = [System.Environment]::MachineName
$folderName = 'fedaudit-evidence-{0}-{1}' -f $stamp, $computer
if (-not (Test-Path -LiteralPath $OutputPath -PathType Container)) {
    throw "OutputPath '$OutputPath' is not a folder."
}
$folder = Join-Path -Path (Resolve-Path -LiteralPath $OutputPath).ProviderPath -ChildPath $folderName
# -ErrorAction Stop: an existing folder is never written into.
New-Item -ItemType Directory -Path $folder -ErrorAction Stop | Out-Null

$utf8NoBom = New-Object System.Text.UTF8Encoding($false)
$files = New-Object System.Collections.ArrayList
$problems = New-Object System.Collections.ArrayList

function Write-EvidenceFile {
    # Every file is UTF-8 without BOM in both PowerShell editions (5.1's Out-File would write UTF-16).
    param([string]$Name, [string]$Text, [string]$Command)
    $path = Join-Path -Path $folder -ChildPath $Name
    [System.IO.File]::WriteAllText($path, $Text, $utf8NoBom)
    [void]$files.Add([pscustomobject][ordered]@{ Name = $Name; Command = $Command })
    Write-Verbose "wrote $Name"
}

function Add-Problem {
    param([string]$Step, [string]$Message)
    [void]$problems.Add([pscustomobject][ordered]@{ Step = $Step; Message = $Message })
    Write-Warning "${Step}: $Message"
}

function Get-OptionalProperty {
    # Properties that older AD FS versions lack (CurrentFarmBehavior on 2012 R2) read as $null under StrictMode.
    param($Object, [string]$Name)
    $p = $Object.PSObject.Properties[$Name]
    if ($null -eq $p) { return $null }
    return $p.Value
}

function ConvertTo-CertificateObject {
    # The certificate's DER bytes (RawData) as base64, which fedaudit decodes; the other
    # properties are there for a person reading the file.
    param($Certificate)
    if ($null -eq $Certificate) { return $null }
    return [pscustomobject][ordered]@{
        Subject      = $Certificate.Subject
        Issuer       = $Certificate.Issuer
        SerialNumber = $Certificate.SerialNumber
        NotBefore    = $Certificate.NotBefore
        NotAfter     = $Certificate.NotAfter
        Thumbprint   = $Certificate.Thumbprint
        RawData      = [System.Convert]::ToBase64String($Certificate.RawData)
    }
}

function Get-Sha256Hex {
    param([string]$Path)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        $stream = [System.IO.File]::OpenRead($Path)
        try { $hash = $sha.ComputeHash($stream) } finally { $stream.Dispose() }
    } finally { $sha.Dispose() }
    return ([System.BitConverter]::ToString($hash) -replace '-', '').ToLowerInvariant()
}

# -- AD FS ----------------------------------------------------------------------------------------
if ($Adfs) {
    try {
        Import-Module ADFS -ErrorAction Stop
        $role = $null
        try { $role = [string](Get-AdfsSyncProperties).Role } catch { $role = $null }
        if ($role -and $role -ne 'PrimaryComputer') {
            Add-Problem 'AD FS' "this server's role is $role, not PrimaryComputer: run -Adfs on the primary AD FS server"
        }
        $p = Get-AdfsProperties
        $properties = [pscustomobject][ordered]@{
            HostName                       = [string]$p.HostName
            Identifier                     = [string]$p.Identifier
            DisplayName                    = [string]$p.DisplayName
            AutoCertificateRollover        = [bool]$p.AutoCertificateRollover
            CertificateCriticalThreshold   = $p.CertificateCriticalThreshold
            CertificateDuration            = $p.CertificateDuration
            CertificateGenerationThreshold = $p.CertificateGenerationThreshold
            CertificatePromotionThreshold  = $p.CertificatePromotionThreshold
            CertificateRolloverInterval    = $p.CertificateRolloverInterval
            CertificateThresholdMultiplier = $p.CertificateThresholdMultiplier
            CertificateSharingContainer    = [string]$p.CertificateSharingContainer
            FederationPassiveAddress       = [string]$p.FederationPassiveAddress
            HttpsPort                      = $p.HttpsPort
            CurrentFarmBehavior            = Get-OptionalProperty $p 'CurrentFarmBehavior'
        }
        Write-EvidenceFile 'Get-AdfsProperties.json' (ConvertTo-Json -InputObject $properties -Depth 4) 'Get-AdfsProperties'

        # Every type: Token-Signing, Token-Decrypting, Service-Communications.
        $certificates = @(Get-AdfsCertificate | ForEach-Object {
            [pscustomobject][ordered]@{
                CertificateType = [string]$_.CertificateType
                IsPrimary       = [bool]$_.IsPrimary
                StoreLocation   = [string]$_.StoreLocation
                StoreName       = [string]$_.StoreName
                Thumbprint      = [string]$_.Thumbprint
                Certificate     = ConvertTo-CertificateObject $_.Certificate
            }
        })
        # -InputObject keeps a one-element array an array.
        Write-EvidenceFile 'Get-AdfsCertificate.json' (ConvertTo-Json -InputObject $certificates -Depth 4) 'Get-AdfsCertificate'
    } catch {
        Add-Problem 'AD FS' $_.Exception.Message
    }
}

# -- Microsoft Graph ------------------------------------------------------------------------------
if ($Graph) {
    try {
        Import-Module Microsoft.Graph.Authentication -ErrorAction Stop
        $context = Get-MgContext
        if ($null -eq $context) {
            # Read-only sign-in: GET /domains and GET .../federationConfiguration need Domain.Read.All.
            Connect-MgGraph -Scopes 'Domain.Read.All' -NoWelcome
            $context = Get-MgContext
        }
        if ($null -eq $context) { throw 'not connected: run Connect-MgGraph -Scopes Domain.Read.All first' }
        if ($context.Scopes -and -not ($context.Scopes | Where-Object { $_ -in @('Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All') })) {
            Add-Problem 'Graph' "the session's scopes ($($context.Scopes -join ', ')) may not include Domain.Read.All"
        }
        # The same requests Get-MgDomain and Get-MgDomainFederationConfiguration make; the bodies are
        # kept as Graph sent them (camelCase, ISO 8601 UTC, signingCertificateUpdateStatus in full).
        $uri = 'v1.0/domains'
        $page = 1
        $federated = New-Object System.Collections.ArrayList
        while ($uri) {
            $body = Invoke-MgGraphRequest -Method GET -Uri $uri -OutputType Json
            $name = if ($page -eq 1) { 'Get-MgDomain.json' } else { 'Get-MgDomain.page{0}.json' -f $page }
            Write-EvidenceFile $name $body ('GET ' + $uri)
            $parsed = $body | ConvertFrom-Json
            foreach ($d in @($parsed.value)) {
                if ([string]$d.authenticationType -eq 'Federated') { [void]$federated.Add([string]$d.id) }
            }
            $next = $parsed.PSObject.Properties['@odata.nextLink']
            $uri = if ($next) { [string]$next.Value } else { $null }
            $page++
        }
        foreach ($domain in $federated) {
            $request = 'v1.0/domains/{0}/federationConfiguration' -f [System.Uri]::EscapeDataString($domain)
            try {
                $body = Invoke-MgGraphRequest -Method GET -Uri $request -OutputType Json
                Write-EvidenceFile ('Get-MgDomainFederationConfiguration.{0}.json' -f $domain) $body ('GET ' + $request)
            } catch {
                Add-Problem "Graph $domain" $_.Exception.Message
            }
        }
    } catch {
        Add-Problem 'Graph' $_.Exception.Message
    }
}

# -- MSOnline: LEGACY, retired in 2025; runs only when -Msol is given ------------------------------
if ($Msol) {
    try {
        Import-Module MSOnline -ErrorAction Stop
        $domains = @(Get-MsolDomain | ForEach-Object {
            [pscustomobject][ordered]@{
                Name           = [string]$_.Name
                Status         = [string]$_.Status
                Authentication = [string]$_.Authentication
                IsDefault      = [bool]$_.IsDefault
                IsInitial      = [bool]$_.IsInitial
                RootDomain     = [string]$_.RootDomain
            }
        })
        Write-EvidenceFile 'Get-MsolDomain.json' (ConvertTo-Json -InputObject $domains -Depth 3) 'Get-MsolDomain'
        $settings = New-Object System.Collections.ArrayList
        $fedProperties = New-Object System.Collections.ArrayList
        foreach ($d in ($domains | Where-Object { $_.Authentication -eq 'Federated' })) {
            try {
                $s = Get-MsolDomainFederationSettings -DomainName $d.Name
                # DomainName is added here: the cmdlet's output does not say which domain it describes.
                [void]$settings.Add([pscustomobject][ordered]@{
                    DomainName                      = $d.Name
                    ActiveLogOnUri                  = [string]$s.ActiveLogOnUri
                    FederationBrandName             = [string]$s.FederationBrandName
                    IssuerUri                       = [string]$s.IssuerUri
                    LogOffUri                       = [string]$s.LogOffUri
                    MetadataExchangeUri             = [string]$s.MetadataExchangeUri
                    NextSigningCertificate          = [string]$s.NextSigningCertificate
                    PassiveLogOnUri                 = [string]$s.PassiveLogOnUri
                    PreferredAuthenticationProtocol = [string]$s.PreferredAuthenticationProtocol
                    PromptLoginBehavior             = [string](Get-OptionalProperty $s 'PromptLoginBehavior')
                    SigningCertificate              = [string]$s.SigningCertificate
                    SupportsMfa                     = Get-OptionalProperty $s 'SupportsMfa'
                })
            } catch {
                Add-Problem "MSOnline $($d.Name)" $_.Exception.Message
            }
            if ($Adfs) {
                try {
                    foreach ($fp in @(Get-MsolFederationProperty -DomainName $d.Name)) {
                        [void]$fedProperties.Add([pscustomobject][ordered]@{
                            DomainName                  = $d.Name
                            Source                      = [string]$fp.Source
                            FederationServiceIdentifier = [string]$fp.FederationServiceIdentifier
                            FederationMetadataUrl       = [string]$fp.FederationMetadataUrl
                            PassiveClientSignInUrl      = [string]$fp.PassiveClientSignInUrl
                            TokenSigningCertificate     = ConvertTo-CertificateObject $fp.TokenSigningCertificate
                            NextTokenSigningCertificate = ConvertTo-CertificateObject (Get-OptionalProperty $fp 'NextTokenSigningCertificate')
                        })
                    }
                } catch {
                    Add-Problem "MSOnline $($d.Name) federation property" $_.Exception.Message
                }
            }
        }
        Write-EvidenceFile 'Get-MsolDomainFederationSettings.json' (ConvertTo-Json -InputObject @($settings) -Depth 3) 'Get-MsolDomainFederationSettings -DomainName <each federated domain>'
        if ($Adfs) {
            Write-EvidenceFile 'Get-MsolFederationProperty.json' (ConvertTo-Json -InputObject @($fedProperties) -Depth 4) 'Get-MsolFederationProperty -DomainName <each federated domain>'
        }
    } catch {
        Add-Problem 'MSOnline' $_.Exception.Message
    }
}

# -- manifest -------------------------------------------------------------------------------------
$entries = @($files | ForEach-Object {
    $path = Join-Path -Path $folder -ChildPath $_.Name
    [pscustomobject][ordered]@{
        name    = $_.Name
        size    = (Get-Item -LiteralPath $path).Length
        sha256  = Get-Sha256Hex $path
        command = $_.Command
    }
})
$manifest = [pscustomobject][ordered]@{
    fedaudit_collector = 1
    collector_version  = $CollectorVersion
    started            = $started.ToString('yyyy-MM-ddTHH:mm:ssZ', $invariant)
    finished           = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', $invariant)
    computer           = $computer
    user               = '{0}\{1}' -f [System.Environment]::UserDomainName, [System.Environment]::UserName
    powershell         = $PSVersionTable.PSVersion.ToString()
    edition            = [string]$PSVersionTable['PSEdition']
    collected          = @(@('adfs', 'graph', 'msol') | Where-Object { (Get-Variable -Name $_ -ValueOnly).IsPresent })
    files              = $entries
    problems           = @($problems)
}
Write-EvidenceFile 'manifest.json' (ConvertTo-Json -InputObject $manifest -Depth 4) 'manifest'
Write-Output $folder
if ($problems.Count -gt 0) { exit 1 }
