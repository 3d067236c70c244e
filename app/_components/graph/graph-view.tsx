"use client";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import {
  ReactFlow,
  Background,
  Controls,
  Handle,
  Position,
  MarkerType,
  useReactFlow,
  ReactFlowProvider,
  type Node,
  type Edge,
  type NodeProps,
} from "@xyflow/react";
import { toPng, toSvg } from "html-to-image";
import { fetchJson } from "../fetch-json";
import { useUrlState } from "../use-url-state";
import { ErrorBox, Spinner, Badge } from "../ui";
import { subjectHref } from "../links";
import { COLUMN, layoutOrColumns, NODE_H, NODE_W, warmLayout } from "./layout";
import { EDGE_LABEL, KIND_BG, KIND_LABEL, STATE_COLOR, STATE_DASH, STATE_LABEL, STATE_LINE } from "./style";
import { exportFileName, exportFrame, exportPixelRatio } from "./export";
import { openingViewport } from "./viewport";
import { drawingBoxes } from "./boxes";
import { SearchBox } from "../search-box";
import { SelectFilter } from "../select-filter";

type ViewNode = {
  id: string;
  kind: string;
  label: string;
  project: string | null;
  cluster: string | null;
  namespace: string | null;
  state: string | null;
  detail: string;
  group?: { members: number; memberKind: string; key: string };
  distance?: number;
  highlighted?: boolean;
  /** Where it is, when its name repeats in the view (`prod/asia-northeast1`). */
  scope?: string;
};
type ViewEdge = { id: string; src: string; dst: string; kind: string; state: string; label: string; count?: number };
type View = { focus: string | null; hops: number; group: string; expand: string[]; nodes: ViewNode[]; edges: ViewEdge[]; reached: number; notice: string | null };

const PARAMS = ["focus", "hops", "group", "expand", "project", "cluster", "namespace", "gsa", "rule", "severity", "state", "q"];

// Every text on a node is 11 px or more: at the opening zoom (never below 1) no label reads smaller.
function WiNode({ data, selected }: NodeProps<Node<ViewNode & { dim: boolean; exporting: boolean }>>) {
  const color = data.state ? STATE_COLOR[data.state] : "#64748b";
  const isGroup = !!data.group;
  return (
    <div
      className={`rounded-md border-2 px-2 py-1 text-left shadow-sm ${KIND_BG[data.kind] ?? "bg-white"} ${selected && !data.exporting ? "ring-2 ring-blue-500" : ""} ${data.highlighted ? "ring-2 ring-fuchsia-500" : ""}`}
      style={{ width: NODE_W, height: NODE_H, borderColor: color, borderStyle: data.state === "ghost" ? "dashed" : isGroup ? "double" : "solid", opacity: data.dim ? 0.35 : 1, borderWidth: isGroup ? 4 : 2 }}
      title={`${data.id}${data.scope ? ` (${data.scope})` : ""}\n${data.detail}`}
      data-testid={`node-${data.id}`}
    >
      <Handle type="target" position={Position.Left} id="tl" className="!h-1 !w-1 !min-w-0 !border-0 !bg-slate-400" />
      <Handle type="source" position={Position.Left} id="sl" className="!h-1 !w-1 !min-w-0 !border-0 !bg-transparent" />
      <div className="flex items-center gap-1 text-[11px] font-semibold uppercase leading-tight tracking-wide text-slate-600 dark:text-slate-300">
        {KIND_LABEL[data.kind] ?? data.kind}
        {isGroup && <span className="rounded bg-slate-700 px-1 text-[11px] normal-case text-white">group · click to expand</span>}
        {data.state === "ghost" && <span className="text-red-700 dark:text-red-300">not found</span>}
        {data.distance === 0 && <span className="text-blue-700 dark:text-blue-300">focus</span>}
      </div>
      <div className="mono truncate text-[12px] leading-snug text-slate-900 dark:text-slate-100" data-testid="node-label">
        {data.label}
        {data.scope && <span className="text-slate-600 dark:text-slate-400"> · {data.scope}</span>}
      </div>
      <div className="truncate text-[11px] leading-tight text-slate-600 dark:text-slate-400">{data.detail}</div>
      <Handle type="source" position={Position.Right} id="sr" className="!h-1 !w-1 !min-w-0 !border-0 !bg-slate-400" />
      <Handle type="target" position={Position.Right} id="tr" className="!h-1 !w-1 !min-w-0 !border-0 !bg-transparent" />
    </div>
  );
}

/** A cluster's or namespace's box ("Group by"): a tinted frame with what it stands for on top. */
function BoxNode({ data }: NodeProps<Node<{ id: string; label: string }>>) {
  return (
    <div className="h-full w-full rounded-lg border-2 border-slate-300 bg-slate-100/50 dark:border-slate-600 dark:bg-slate-800/40" data-testid={`box-${data.id.slice(4)}`}>
      <div className="truncate px-3 pt-1.5 text-[12px] font-semibold text-slate-700 dark:text-slate-200">{data.label}</div>
    </div>
  );
}

const nodeTypes = { wi: WiNode, box: BoxNode };

/** A sample of an edge's line, drawn exactly as the edges are (colour and dash pattern). */
function LineSample({ state }: { state: string }) {
  return (
    <svg width="36" height="8" aria-hidden="true" className="shrink-0">
      <line x1="1" y1="4" x2="35" y2="4" stroke={STATE_COLOR[state]} strokeWidth={state === "info" ? 1.5 : 2.5} strokeDasharray={STATE_DASH[state]} />
    </svg>
  );
}

/** The legend sits beside the drawing (never over it) and folds away. */
function Legend() {
  return (
    <details open className="rounded border border-slate-200 p-2 text-xs dark:border-slate-700" data-testid="graph-legend">
      <summary className="cursor-pointer font-semibold">Legend</summary>
      <ul className="mt-1 space-y-1" aria-label="Legend">
        {(["ok", "legacy", "broad", "broken", "info"] as const).map((s) => (
          <li key={s} className="flex items-center gap-2">
            <LineSample state={s} />
            <span>
              {STATE_LABEL[s]} <span className="text-slate-600 dark:text-slate-400">— {STATE_LINE[s]}</span>
            </span>
          </li>
        ))}
        <li className="flex items-center gap-2">
          <span className="inline-block h-3 w-9 shrink-0 rounded border-4 border-double border-slate-500" /> group (click to expand)
        </li>
        <li className="flex items-center gap-2">
          <span className="inline-block h-3 w-9 shrink-0 rounded border-2 border-dashed border-red-600" /> referenced but not found
        </li>
        <li className="text-slate-600 dark:text-slate-400">A node&apos;s border takes its state&apos;s colour. A repeated name carries its scope: <span className="mono">default · batch · prod/asia-northeast1</span>.</li>
      </ul>
    </details>
  );
}

function Toolbar({ view, onExport, exporting }: { view: View | undefined; onExport: (kind: "png" | "svg") => void; exporting: boolean }) {
  const { params, set } = useUrlState();
  const qs = new URLSearchParams();
  for (const k of PARAMS) if (params.get(k)) qs.set(k, params.get(k)!);
  return (
    <div className="mb-2 flex flex-wrap items-center gap-2 text-sm">
      <SearchBox mode="graph" placeholder="Focus on… (GSA, KSA, key id, workload)" autoFocusKey={false} onPick={(s) => set({ focus: s, expand: null }, { resetPage: true, push: true })} />
      <label className="flex items-center gap-1">
        <span className="text-slate-600 dark:text-slate-400">Hops</span>
        <select aria-label="Hops" value={params.get("hops") ?? "2"} onChange={(e) => set({ hops: e.target.value })} className="rounded border border-slate-300 bg-white px-1 py-1 dark:border-slate-700 dark:bg-slate-900">
          {[1, 2, 3, 4].map((h) => (
            <option key={h}>{h}</option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-1">
        <span className="text-slate-600 dark:text-slate-400">Group by</span>
        <select aria-label="Group by" value={params.get("group") ?? "namespace"} onChange={(e) => set({ group: e.target.value, expand: null })} className="rounded border border-slate-300 bg-white px-1 py-1 dark:border-slate-700 dark:bg-slate-900">
          <option value="namespace">namespace</option>
          <option value="cluster">cluster</option>
          <option value="none">nothing</option>
        </select>
      </label>
      <SelectFilter name="severity" label="Highlight" allLabel="nothing" options={["critical", "high", "medium", "low"].map((v) => ({ value: v, label: `${v} findings` }))} />
      {params.get("focus") && (
        <button type="button" className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700" onClick={() => set({ focus: null, expand: null, gsa: null }, { resetPage: true, push: true })}>
          ← Overview of all clusters
        </button>
      )}
      <span className="ml-auto flex items-center gap-1">
        <ExportButtons onExport={onExport} exporting={exporting} />
        <a className="rounded border border-slate-300 px-2 py-1 hover:no-underline dark:border-slate-700" href={`/api/graph?${qs}&format=download`}>
          JSON
        </a>
        <a className="rounded border border-slate-300 px-2 py-1 hover:no-underline dark:border-slate-700" href={`/api/graph?${qs}&format=graphml`}>
          GraphML
        </a>
      </span>
      {view && (
        <span className="w-full text-xs text-slate-600 dark:text-slate-400" data-testid="graph-stats" aria-live="polite">
          {view.nodes.length} nodes drawn, {view.edges.length} edges
          {view.reached > view.nodes.length ? ` (${view.reached} reached, grouped)` : ""}
          {view.notice ? ` — ${view.notice}` : ""}
        </span>
      )}
    </div>
  );
}

function ExportButtons({ onExport, exporting }: { onExport: (kind: "png" | "svg") => void; exporting: boolean }) {
  return (
    <>
      <button type="button" className="rounded border border-slate-300 px-2 py-1 disabled:opacity-50 dark:border-slate-700" disabled={exporting} onClick={() => onExport("png")} title="The whole drawing as a PNG (twice its drawn size)">
        PNG
      </button>
      <button type="button" className="rounded border border-slate-300 px-2 py-1 disabled:opacity-50 dark:border-slate-700" disabled={exporting} onClick={() => onExport("svg")} title="The whole drawing as an SVG">
        SVG
      </button>
    </>
  );
}

/** Waits until every node of the view is in the page and measured (after turning off visible-only rendering). */
async function allNodesDrawn(root: HTMLElement, count: number): Promise<void> {
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(undefined)));
  for (let i = 0; i < 120; i++) {
    await frame();
    const drawn = [...root.querySelectorAll<HTMLElement>(".react-flow__node")];
    if (drawn.length >= count && drawn.every((n) => n.style.visibility !== "hidden")) break;
  }
  await frame();
  await frame();
}

function SidePanel({ node, view, onFocus, onExpand, onCollapse }: { node: ViewNode | undefined; view: View; onFocus: (id: string) => void; onExpand: (key: string) => void; onCollapse: (key: string) => void }) {
  if (!node)
    return (
      <div className="text-sm text-slate-600 dark:text-slate-400">
        <p>Select a node to see what it is. Double-click to focus on it; click a group to expand it.</p>
        {view.expand.length > 0 && (
          <div className="mt-3">
            <p className="font-medium">Expanded</p>
            {view.expand.map((k) => (
              <button key={k} type="button" className="mr-1 mt-1 rounded border border-slate-300 px-1 text-xs dark:border-slate-700" onClick={() => onCollapse(k)}>
                collapse {k}
              </button>
            ))}
          </div>
        )}
      </div>
    );
  const edges = view.edges.filter((e) => e.src === node.id || e.dst === node.id);
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  return (
    <div className="space-y-2 text-sm" data-testid="side-panel">
      <div className="flex flex-wrap items-center gap-2">
        <Badge>{KIND_LABEL[node.kind] ?? node.kind}</Badge>
        {node.state && <Badge tone={node.state === "ok" ? "green" : node.state === "broken" || node.state === "ghost" ? "red" : "amber"}>{STATE_LABEL[node.state] ?? node.state}</Badge>}
      </div>
      <p className="mono text-xs break-all">{node.group ? node.label : node.id}</p>
      <p>{node.detail}</p>
      <div className="flex flex-wrap gap-2">
        {node.group ? (
          <button type="button" className="rounded bg-slate-900 px-2 py-1 text-white dark:bg-slate-100 dark:text-slate-900" onClick={() => onExpand(node.group!.key)}>
            Expand {node.group.members}
          </button>
        ) : (
          <>
            {node.kind !== "principalset" && node.state !== "ghost" && (
              <a href={subjectHref(node.id)} className="rounded border border-slate-300 px-2 py-1 hover:no-underline dark:border-slate-700">
                Open its page
              </a>
            )}
            {view.focus !== node.id && (
              <button type="button" className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700" onClick={() => onFocus(node.id)}>
                Focus here
              </button>
            )}
          </>
        )}
      </div>
      {edges.length > 0 && (
        <div>
          <p className="font-medium">Links</p>
          <ul className="max-h-80 space-y-1 overflow-auto text-xs">
            {edges.map((e) => {
              const other = byId.get(e.src === node.id ? e.dst : e.src);
              return (
                <li key={e.id} className="flex items-start gap-1">
                  <span className="mt-1 inline-block h-2 w-2 shrink-0 rounded-full" style={{ background: STATE_COLOR[e.state] }} />
                  <span>
                    {e.src === node.id ? "→" : "←"} {EDGE_LABEL[e.kind] ?? e.kind}
                    {e.label && e.label !== EDGE_LABEL[e.kind] ? ` (${e.label})` : ""}: <span className="mono">{other?.label ?? "?"}</span>
                  </span>
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </div>
  );
}

/** Follows the page's theme (the `dark` class on <html>), so the canvas controls match it. */
function useDark(): boolean {
  const [dark, setDark] = useState(false);
  useEffect(() => {
    const el = document.documentElement;
    const update = () => setDark(el.classList.contains("dark"));
    update();
    const mo = new MutationObserver(update);
    mo.observe(el, { attributes: true, attributeFilter: ["class"] });
    return () => mo.disconnect();
  }, []);
  return dark;
}

function Canvas() {
  const dark = useDark();
  const { params, set } = useUrlState();
  const qs = new URLSearchParams();
  for (const k of PARAMS) if (params.get(k)) qs.set(k, params.get(k)!);
  const view = useQuery({ queryKey: ["graph", qs.toString()], queryFn: () => fetchJson<View>(`/api/graph?${qs}`) });
  const [nodes, setNodes] = useState<Node[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  const [laying, setLaying] = useState(false);
  const [layoutNote, setLayoutNote] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const { setViewport, getNodes } = useReactFlow();
  const canvasRef = useRef<HTMLDivElement>(null);
  const data = view.data;
  useEffect(() => warmLayout(), []);

  useEffect(() => {
    if (!data) return;
    let cancelled = false;
    setLaying(true);
    const drawn = drawingBoxes(data.nodes, data.group);
    void layoutOrColumns(
      data.nodes.map((n) => ({ id: n.id, kind: n.kind })),
      data.edges.map((e) => ({ id: e.id, source: e.src, target: e.dst })),
      undefined,
      drawn.boxOf,
    ).then(({ pos, boxes: rects, fallback }) => {
      if (cancelled) return;
      setLayoutNote(fallback);
      const boxLabel = new Map(drawn.boxes.map((b) => [b.id, b.label]));
      setNodes([
        // Boxes first, so they are drawn beneath the nodes; they take no clicks or keyboard focus.
        ...rects.map(
          (r): Node => ({
            id: r.id,
            type: "box",
            position: { x: r.x, y: r.y },
            width: r.width,
            height: r.height,
            data: { id: r.id, label: boxLabel.get(r.id) ?? r.id },
            selectable: false,
            draggable: false,
            focusable: false,
            style: { pointerEvents: "none" },
          }),
        ),
        ...data.nodes.map(
          (n): Node => ({
            id: n.id,
            type: "wi",
            position: pos.get(n.id) ?? { x: 0, y: 0 },
            data: { ...n, dim: false },
            ariaLabel: `${KIND_LABEL[n.kind] ?? n.kind} ${n.label}${n.scope ? ` · ${n.scope}` : ""}`,
          }),
        ),
      ]);
      const kindOf = new Map(data.nodes.map((n) => [n.id, n.kind]));
      const col = (id: string) => COLUMN[kindOf.get(id) ?? ""] ?? 2;
      setEdges(
        data.edges.map((e) => ({
          id: e.id,
          source: e.src,
          target: e.dst,
          // An edge pointing leftwards leaves from the left side and arrives on the right side.
          sourceHandle: col(e.src) > col(e.dst) ? "sl" : "sr",
          targetHandle: col(e.src) > col(e.dst) ? "tr" : "tl",
          label: e.count && e.count > 1 ? `×${e.count}` : undefined,
          // Colour and dash pattern both say the state, so the picture reads without colour too.
          style: { stroke: STATE_COLOR[e.state] ?? "#94a3b8", strokeWidth: e.state === "info" ? 1.25 : 2.25, strokeDasharray: STATE_DASH[e.state] },
          labelStyle: { fontSize: 11 },
          markerEnd: { type: MarkerType.ArrowClosed, color: STATE_COLOR[e.state] ?? "#94a3b8", width: 16, height: 16 },
          data: e,
          ariaLabel: `${EDGE_LABEL[e.kind] ?? e.kind}: ${e.src} to ${e.dst}`,
        })),
      );
      setLaying(false);
      // Open readable (labels ≥ 11 px): the focus's neighbourhood, or the busiest part, not the whole estate.
      const el = canvasRef.current;
      const boxes = data.nodes.map((n) => ({ id: n.id, x: pos.get(n.id)?.x ?? 0, y: pos.get(n.id)?.y ?? 0, width: NODE_W, height: NODE_H }));
      const { viewport } = openingViewport(
        boxes,
        data.edges.map((e) => ({ source: e.src, target: e.dst })),
        data.focus,
        el?.clientWidth ?? 900,
        el?.clientHeight ?? 600,
      );
      requestAnimationFrame(() => void setViewport(viewport, { duration: 0 }));
    });
    return () => {
      cancelled = true;
    };
  }, [data, setViewport]); // eslint-disable-line react-hooks/exhaustive-deps

  // Highlight the selected node's links; dim the rest (not in an export: the picture shows everything alike).
  const shownEdges = useMemo(
    () =>
      selected && !exporting
        ? edges.map((e) => {
            const on = e.source === selected || e.target === selected;
            return { ...e, label: on ? ((e.data as ViewEdge).label || EDGE_LABEL[(e.data as ViewEdge).kind]) : e.label, style: { ...e.style, opacity: on ? 1 : 0.2 }, zIndex: on ? 10 : 0 };
          })
        : edges,
    [edges, selected, exporting],
  );
  const shownNodes = useMemo(() => {
    if (exporting) return nodes.map((n) => ({ ...n, data: { ...(n.data as ViewNode), dim: false, exporting: true } }));
    if (!selected) return nodes;
    const near = new Set([selected, ...edges.filter((e) => e.source === selected || e.target === selected).flatMap((e) => [e.source, e.target])]);
    return nodes.map((n) => ({ ...n, data: { ...(n.data as ViewNode), dim: !near.has(n.id) } }));
  }, [nodes, edges, selected, exporting]);

  // A focus change is a step the browser's Back undoes (push); expanding a group is not.
  const focus = useCallback((id: string) => set({ focus: id, expand: null, gsa: null }, { resetPage: true, push: true }), [set]);

  /**
   * The whole drawing, not the part on screen: every node is rendered (visible-only rendering off),
   * undimmed and unselected, then the viewport element is drawn at zoom 1 framed on all nodes' boxes,
   * at twice that size for a PNG.
   */
  const exportPicture = useCallback(
    async (kind: "png" | "svg") => {
      const root = canvasRef.current;
      if (!root || !nodes.length) return;
      setExporting(true);
      try {
        await allNodesDrawn(root, nodes.length);
        const el = root.querySelector<HTMLElement>(".react-flow__viewport");
        if (!el) return;
        const frame = exportFrame(getNodes().map((n) => ({ x: n.position.x, y: n.position.y, width: n.measured?.width ?? NODE_W, height: n.measured?.height ?? NODE_H })));
        const opts = {
          width: frame.width,
          height: frame.height,
          pixelRatio: exportPixelRatio(frame.width, frame.height),
          backgroundColor: document.documentElement.classList.contains("dark") ? "#020617" : "#ffffff",
          style: { width: `${frame.width}px`, height: `${frame.height}px`, transform: `translate(${-frame.x}px, ${-frame.y}px) scale(1)` },
        };
        const url = kind === "png" ? await toPng(el, opts) : await toSvg(el, opts);
        const a = document.createElement("a");
        a.href = url;
        a.download = exportFileName(data?.focus, kind);
        a.click();
      } finally {
        setExporting(false);
      }
    },
    [nodes, getNodes, data?.focus],
  );
  const expand = useCallback(
    (key: string) => {
      const cur = (params.get("expand") ?? "").split(",").filter(Boolean);
      set({ expand: [...new Set([...cur, key])].join(",") });
      setSelected(null);
    },
    [params, set],
  );
  const collapse = useCallback(
    (key: string) => {
      const cur = (params.get("expand") ?? "").split(",").filter(Boolean);
      set({ expand: cur.filter((k) => k !== key).join(",") || null });
    },
    [params, set],
  );

  if (view.isError) return <ErrorBox error={view.error} retry={() => view.refetch()} />;
  const selNode = data?.nodes.find((n) => n.id === selected);
  return (
    <div>
      <Toolbar view={data} onExport={(k) => void exportPicture(k)} exporting={exporting} />
      <div className="grid gap-3 lg:grid-cols-[1fr_20rem]">
        <div ref={canvasRef} className="relative h-[calc(100vh-14rem)] min-h-[32rem] rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-950" data-testid="graph-canvas">
          {(view.isPending || laying) && (
            <div className="absolute inset-0 z-10 flex items-center justify-center bg-white/60 dark:bg-slate-950/60">
              <Spinner label={view.isPending ? "Loading the graph…" : "Laying out…"} />
            </div>
          )}
          {layoutNote && !laying && (
            <div role="status" className="absolute left-2 top-2 z-10 rounded bg-amber-50 px-2 py-1 text-xs text-amber-900 dark:bg-amber-950 dark:text-amber-100" data-testid="layout-fallback">
              Drawn in plain columns: {layoutNote}.
            </div>
          )}
          {data && data.nodes.length === 0 ? (
            <div className="p-6 text-sm text-slate-600">Nothing to draw yet: no scan has been analysed, or the filters leave nothing.</div>
          ) : (
            <ReactFlow
              nodes={shownNodes}
              edges={shownEdges}
              nodeTypes={nodeTypes}
              nodesDraggable
              nodesConnectable={false}
              elementsSelectable
              // Views are capped at 300 nodes; drawing all of a small one keeps off-screen nodes in the page
              // (find-in-page, tests, screen readers); only large ones skip what is off screen.
              onlyRenderVisibleElements={!exporting && shownNodes.length > 150}
              zoomOnDoubleClick={false}
              minZoom={0.05}
              maxZoom={2}
              proOptions={{ hideAttribution: true }}
              colorMode={dark ? "dark" : "light"}
              onNodeClick={(ev, n) => {
                if (n.type === "box") return;
                const d = n.data as ViewNode;
                if (d.group) expand(d.group.key);
                // A second click in a row (the browser's click count) focuses too, as a double-click does.
                else if (ev.detail >= 2 && d.state !== "ghost") focus(n.id);
                else setSelected(n.id);
              }}
              onNodeDoubleClick={(_, n) => {
                if (n.type === "box") return;
                const d = n.data as ViewNode;
                if (!d.group && d.state !== "ghost") focus(n.id);
              }}
              onPaneClick={() => setSelected(null)}
            >
              <Background gap={24} />
              <Controls showInteractive={false} />
            </ReactFlow>
          )}
        </div>
        <div className="space-y-3">
          <aside className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900" aria-label="Selected node">
            {data ? <SidePanel node={selNode} view={data} onFocus={focus} onExpand={expand} onCollapse={collapse} /> : <Spinner />}
          </aside>
          <Legend />
        </div>
      </div>
    </div>
  );
}

export function GraphView() {
  return (
    <ReactFlowProvider>
      <Canvas />
    </ReactFlowProvider>
  );
}
