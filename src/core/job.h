/*
 * job.h - work handed from one thread to another (see vs_worker_post).
 */
#ifndef VS_CORE_JOB_H
#define VS_CORE_JOB_H

struct vs_job {
	struct vs_job *next;
	void (*run)(struct vs_job *job); /* owns the job: frees what it must */
};

#endif
