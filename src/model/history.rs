//! Per-VM usage history: a fixed-size ring of compact points, one per tick, so an hour of
//! history for every running VM costs a bounded, small amount of memory.

use std::collections::VecDeque;

use serde::Serialize;

use super::usage::Usage;

/// One tick of one VM, stored as f32 (the page draws graphs; 7 digits are plenty).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Unix time in seconds (millisecond precision) at the start of the tick.
    pub time: f64,
    pub cpu: f32,
    pub memory_used: f32,
    pub disk_read: f32,
    pub disk_write: f32,
    pub net_rx: f32,
    pub net_tx: f32,
}

impl Point {
    pub fn new(time: f64, usage: &Usage) -> Point {
        Point {
            time,
            cpu: usage.cpu,
            memory_used: usage.memory_used as f32,
            disk_read: usage.disk_read as f32,
            disk_write: usage.disk_write as f32,
            net_rx: usage.net_rx as f32,
            net_tx: usage.net_tx as f32,
        }
    }
}

pub struct History {
    points: VecDeque<Point>,
    capacity: usize,
}

/// Columns, as the page receives them: one array per metric, same length, oldest first.
#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    pub time: Vec<f64>,
    pub cpu: Vec<f32>,
    pub memory_used: Vec<f32>,
    pub disk_read: Vec<f32>,
    pub disk_write: Vec<f32>,
    pub net_rx: Vec<f32>,
    pub net_tx: Vec<f32>,
}

impl History {
    pub fn new(capacity: usize) -> History {
        // Allocated once at full size: growing by doubling would leave freed buffers behind.
        let capacity = capacity.max(1);
        History { points: VecDeque::with_capacity(capacity), capacity }
    }

    pub fn push(&mut self, point: Point) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back(point);
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// The last `count` CPU values, oldest first (sparklines).
    pub fn recent_cpu(&self, count: usize) -> Vec<f32> {
        let skip = self.points.len().saturating_sub(count);
        self.points.iter().skip(skip).map(|p| p.cpu).collect()
    }

    pub fn series(&self) -> Series {
        let mut series = Series::default();
        for p in &self.points {
            series.time.push(p.time);
            series.cpu.push(p.cpu);
            series.memory_used.push(p.memory_used);
            series.disk_read.push(p.disk_read);
            series.disk_write.push(p.disk_write);
            series.net_rx.push(p.net_rx);
            series.net_tx.push(p.net_tx);
        }
        series
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(time: f64, cpu: f32) -> Point {
        Point { time, cpu, memory_used: 1.0, disk_read: 0.0, disk_write: 0.0, net_rx: 0.0, net_tx: 0.0 }
    }

    #[test]
    fn history_keeps_the_last_capacity_points() {
        let mut history = History::new(3);
        for t in 0..5 {
            history.push(point(f64::from(t), t as f32));
        }
        assert_eq!(history.len(), 3);
        assert_eq!(history.series().time, vec![2.0, 3.0, 4.0]);
        assert_eq!(history.recent_cpu(2), vec![3.0, 4.0]);
        assert_eq!(history.recent_cpu(10), vec![2.0, 3.0, 4.0]);
    }
}
