// The order a technician visits terminals in: a short route through their positions. The task
// keeps the order the console sends, so the tablet lists the terminals in this order.

// Up to this many terminals the route is also improved by 2-opt (its passes cost n² each).
const IMPROVE_LIMIT = 400;

// Distance in degrees of latitude, on a plane that is good enough within a city or county.
function distance(a, b) {
  const dy = a.latitude - b.latitude;
  const dx = (a.longitude - b.longitude) * Math.cos(((a.latitude + b.latitude) / 2) * Math.PI / 180);
  return Math.hypot(dx, dy);
}

// Nearest neighbour from the south-westernmost terminal.
function nearestNeighbour(points) {
  const left = [...points];
  let start = 0;
  left.forEach((p, i) => {
    if (p.latitude + p.longitude < left[start].latitude + left[start].longitude)
      start = i;
  });
  const route = [left.splice(start, 1)[0]];
  while (left.length > 0) {
    const last = route.at(-1);
    let best = 0;
    for (let i = 1; i < left.length; i++)
      if (distance(last, left[i]) < distance(last, left[best]))
        best = i;
    route.push(left.splice(best, 1)[0]);
  }
  return route;
}

// 2-opt: reverses a stretch of the route while that makes it shorter (an open path).
function improve(route) {
  let better = true;
  for (let pass = 0; better && pass < 20; pass++) {
    better = false;
    for (let i = 0; i < route.length - 2; i++)
      for (let j = i + 2; j < route.length - 1; j++) {
        const before = distance(route[i], route[i + 1]) + distance(route[j], route[j + 1]);
        const after = distance(route[i], route[j]) + distance(route[i + 1], route[j + 1]);
        if (after < before - 1e-12) {
          route.splice(i + 1, j - i, ...route.slice(i + 1, j + 1).reverse());
          better = true;
        }
      }
  }
  return route;
}

// @terminals (with latitude and longitude) in route order; those without a position go last.
export function routeOrder(terminals) {
  const placed = terminals.filter((t) => Number.isFinite(t.latitude) && Number.isFinite(t.longitude));
  const unplaced = terminals.filter((t) => !placed.includes(t));
  if (placed.length < 3)
    return [...placed, ...unplaced];
  const route = nearestNeighbour(placed);
  return [...(route.length <= IMPROVE_LIMIT ? improve(route) : route), ...unplaced];
}
