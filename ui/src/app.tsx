import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { InvocationPage } from "./pages/invocation/invocation-page.js";
import { InvocationsPage } from "./pages/invocations/invocations-page.js";
import { OverviewPage } from "./pages/overview-page.js";
import { SqlPage } from "./pages/sql-page.js";
import { StatePage, stateTitle } from "./pages/state/state-page.js";
import { ServicePage } from "./pages/services/service-page.js";
import { ServicesPage } from "./pages/services/services-page.js";
import { Link, useLocation, type Location } from "./router.js";

const NAV = [
  { to: "", label: "Overview", section: undefined },
  { to: "invocations", label: "Invocations", section: "invocations" },
  { to: "services", label: "Services", section: "services" },
  { to: "state", label: "State", section: "state" },
  { to: "sql", label: "SQL", section: "sql" },
] as const;

export function App() {
  const location = useLocation();
  const section = location.segments[0];
  const page = pageFor(location);
  useEffect(() => {
    document.title = `${page.title} · stet`;
  }, [page.title]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">stet</span>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} aria-current={section === n.section ? "page" : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {page.view}
      </main>
    </>
  );
}

function pageFor(location: Location): { title: string; view: JSX.Element } {
  const [section, id] = location.segments;
  if (section === undefined) return { title: "Overview", view: <OverviewPage /> };
  if (section === "invocations" && id !== undefined) return { title: id, view: <InvocationPage key={id} id={id} /> };
  if (section === "invocations") return { title: "Invocations", view: <InvocationsPage location={location} /> };
  if (section === "services" && id !== undefined) return { title: id, view: <ServicePage key={id} name={id} /> };
  if (section === "services") return { title: "Services and deployments", view: <ServicesPage /> };
  if (section === "state") return { title: stateTitle(location), view: <StatePage location={location} /> };
  if (section === "sql") return { title: "SQL", view: <SqlPage /> };
  return {
    title: "Not found",
    view: (
      <>
        <h1>Not found</h1>
        <p>
          No page at this address. <Link to="">Go to the overview</Link>.
        </p>
      </>
    ),
  };
}
